#!/usr/bin/env python3
"""CPU shares between two snapshots of bench/load.sh's ticks(): prints one line,
"cpu KIND ROUND machine=P name=P:N ...", where P is percent of one core (machine: percent of
all cores) and N the number of the server's threads with that name.
Usage: cpu_share.py TICKS0 TICKS1 WINDOW_S CLK_TCK KIND ROUND"""
import sys
from collections import defaultdict


def load(path):
    threads, machine = defaultdict(list), (0, 0)
    for line in open(path):
        f = line.split()
        if len(f) == 3 and f[0] == "machine":
            machine = (int(f[1]), int(f[2]))
        elif len(f) == 2:
            threads[f[0]].append(int(f[1]))
    return threads, machine


def main():
    t0_path, t1_path, window, hz, kind, rnd = sys.argv[1:]
    t0, m0 = load(t0_path)
    t1, m1 = load(t1_path)
    per_core = 100.0 / (float(window) * int(hz))
    parts = []
    for name in sorted(t1):
        # Threads of one name are summed; one that started inside the window counts from zero.
        before = sorted(t0.get(name, []), reverse=True)[: len(t1[name])]
        used = max(sum(t1[name]) - sum(before), 0)
        parts.append(f"{name}={used * per_core:.0f}:{len(t1[name])}")
    machine = 100.0 * (m1[0] - m0[0]) / max(m1[1] - m0[1], 1)
    print(f"cpu {kind} {rnd} machine={machine:.0f} " + " ".join(parts))


if __name__ == "__main__":
    main()
