#!/usr/bin/env python3
"""Latency distributions of bench/load.sh's wrk runs as one chart: an HTML page with an SVG,
percentile on a "nines" axis (50, 90, 99, 99.9, 99.99, then the slowest request) against latency
on a log axis, one line per endpoint and round, with the turn's p99 goal (20 ms) drawn across.
A tail stall (a checkpoint holding the writers, a commit waiting on an fsync) shows as the line
bending up to the right; a line that is flat to the end has no stall.
Usage: latency_chart.py RESULTS OUT.html  (RESULTS: load.sh's "KIND ROUND RESULT ... curve=p:ms,..." lines)"""
import html
import math
import re
import sys

GOAL_MS = 20.0
W, H = 840, 440
LEFT, RIGHT, TOP, BOTTOM = 70, 250, 40, 60
COLOURS = {"healthz": ["#7a9cc6", "#3b5b92", "#1f3a66", "#9fb7d9"], "turns": ["#e3a15f", "#c0632b", "#8a3b12"]}
LABELS = {"healthz": "GET /healthz", "turns": "POST …/messages (turn)"}
MAX_X = 4.5  # where the slowest request is drawn, past 99.99 (x = 4)


def nines(p):
    """x position of percentile p: 50 -> 0.3, 90 -> 1, 99 -> 2, 99.9 -> 3; 100 (max) -> MAX_X."""
    return MAX_X if p >= 100 else -math.log10(1 - p / 100)


def read(path):
    series = []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"(\w+) (\d+) RESULT .*curve=(\S+)", line)
        if not m:
            continue
        points = []
        for pair in m.group(3).split(","):
            p, ms = pair.split(":")
            points.append((float(p), max(float(ms), 0.001)))
        series.append((m.group(1), int(m.group(2)), points))
    return series


def chart(series, title):
    all_ms = [ms for _, _, pts in series for _, ms in pts] + [GOAL_MS]
    lo = 10 ** math.floor(math.log10(min(all_ms)))
    hi = 10 ** math.ceil(math.log10(max(all_ms)))
    x_min = nines(1)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    sx = lambda x: LEFT + (x - x_min) / (MAX_X - x_min) * pw
    sy = lambda ms: TOP + ph - (math.log10(ms) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ph
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{W}' height='{H}' font-family='sans-serif' font-size='12'>",
           f"<text x='{LEFT}' y='22' font-size='15'>{html.escape(title)}</text>"]
    decade = lo
    while decade <= hi * 1.0001:
        y = sy(decade)
        out.append(f"<line x1='{LEFT}' x2='{LEFT + pw}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ddd'/>")
        out.append(f"<text x='{LEFT - 6}' y='{y + 4:.1f}' text-anchor='end'>{decade:g} ms</text>")
        decade *= 10
    for p, label in ((50, "p50"), (90, "p90"), (99, "p99"), (99.9, "p99.9"), (99.99, "p99.99"), (100, "max")):
        x = sx(nines(p))
        out.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{TOP}' y2='{TOP + ph}' stroke='#eee'/>")
        out.append(f"<text x='{x:.1f}' y='{TOP + ph + 16}' text-anchor='middle'>{label}</text>")
    out.append(f"<text x='{LEFT + pw / 2}' y='{H - 18}' text-anchor='middle'>percentile of requests</text>")
    gy = sy(GOAL_MS)
    out.append(f"<line x1='{LEFT}' x2='{LEFT + pw}' y1='{gy:.1f}' y2='{gy:.1f}' stroke='#c00' stroke-dasharray='5,4'/>")
    out.append(f"<text x='{LEFT + 4}' y='{gy - 5:.1f}' fill='#c00'>turn p99 goal: 20 ms</text>")
    for i, (kind, rnd, pts) in enumerate(series):
        palette = COLOURS.get(kind, ["#555"])
        colour = palette[(rnd - 1) % len(palette)]
        path = " ".join(f"{'M' if j == 0 else 'L'}{sx(nines(p)):.1f},{sy(ms):.1f}" for j, (p, ms) in enumerate(pts) if p >= 1)
        out.append(f"<path d='{path}' fill='none' stroke='{colour}' stroke-width='2'/>")
        ly = TOP + 14 + 18 * i
        out.append(f"<line x1='{LEFT + pw + 14}' x2='{LEFT + pw + 34}' y1='{ly - 4}' y2='{ly - 4}' stroke='{colour}' stroke-width='2'/>")
        out.append(f"<text x='{LEFT + pw + 40}' y='{ly}'>{html.escape(LABELS.get(kind, kind))}, round {rnd}</text>")
    out.append("</svg>")
    return "\n".join(out)


def main():
    results, out = sys.argv[1:3]
    series = read(results)
    if not series:
        sys.exit("latency_chart: no RESULT lines with a curve in " + results)
    title = "Latency by percentile, bench/load.sh (wrk, 127.0.0.1)"
    page = ("<!doctype html><meta charset='utf-8'><title>kefu load: latency</title>\n"
            + chart(series, title) + "\n")
    open(out, "w", encoding="utf-8").write(page)


if __name__ == "__main__":
    main()
