-- wrk script for bench/load.sh. With KEFU_BENCH_MODE=healthz it sends GET /healthz (the
-- ceiling); otherwise it POSTs order-status turns round-robin over pre-verified conversations
-- read from the file named by KEFU_BENCH_CONVS: one line per conversation,
-- "<conversation_id> <token> <order_number>". Both print the same RESULT line.
-- Each of the KEFU_BENCH_THREADS (default 2, wrk's -t) threads takes its own share of the
-- conversations, as shoppers do: a shopper waits for a reply before writing again, so two
-- turns of one conversation are never in flight together (with as many conversations per
-- thread as it has connections, or more).
-- Requests are formatted once, in init(): request() runs for every request on the same two
-- cores as the server, and formatting a turn there (string building and wrk.format) cost wrk
-- about 3 µs a turn. Both modes hand wrk a ready string, so the client's cost a request is
-- alike for the ceiling and the turns.
local prepared = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local healthz = os.getenv("KEFU_BENCH_MODE") == "healthz"

function init(args)
  if healthz then
    prepared = { wrk.format("GET", "/healthz") }
    idx = 0
    return
  end
  local path = os.getenv("KEFU_BENCH_CONVS")
  local threads = tonumber(os.getenv("KEFU_BENCH_THREADS") or "2")
  local n = 0
  for line in io.lines(path) do
    local cid, token, order = line:match("^(%S+) (%S+) (%S+)$")
    if cid then
      if n % threads == (id or 0) % threads then
        local body = '{"text":"我的订单 ' .. order .. ' 到哪了？"}'
        table.insert(prepared, wrk.format("POST", "/v1/conversations/" .. cid .. "/messages",
          { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body))
      end
      n = n + 1
    end
  end
  idx = 0
end

function request()
  idx = idx + 1
  return prepared[(idx % #prepared) + 1]
end

-- The percentiles drawn by bench/latency_chart.py, "p:ms" pairs; 100 is the slowest request.
local curve = { 1, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.8, 99.9, 99.95, 99.99, 100 }

function done(summary, latency, requests)
  local points = {}
  for _, p in ipairs(curve) do
    local us = p == 100 and latency.max or latency:percentile(p)
    table.insert(points, string.format("%g:%.3f", p, us / 1000))
  end
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f errors=%d non2xx=%d curve=%s\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, table.concat(points, ",")))
end
