-- wrk script of the benchmark harness: prints one JSON line with the figures the harness
-- reads (requests/s, latency percentiles in microseconds, errors, status counts).
-- BENCH_POST_BODY (optional): a body template for POST where "{n}" becomes a counter that is
-- unique per thread and request (the sandbox refuses duplicate posts).
local counter = 0
local template = os.getenv("BENCH_POST_BODY")
local threads = {}
-- (no response() callback: it would make wrk parse every answer in Lua and slow it down)

-- thread_id: a global each thread gets from setup() (a local here would hide it).
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  if template then
    wrk.method = "POST"
  end
end

function request()
  if template then
    counter = counter + 1
    local body = template:gsub("{n}", tostring(thread_id or 0) .. "-" .. tostring(counter) .. "-" .. tostring(os.time()))
    return wrk.format(nil, nil, nil, body)
  end
  return wrk.request()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
