-- wrk script (from ../shared/perf/replay.lua): each thread sends its own slice of pre-signed
-- requests (line i goes to thread i % nthreads), in order; `sent` counts request() calls so that
-- bench/compare.py knows which wamids were (or may have been) delivered.
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
local reqs = {}
sent = 0
function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local sig, body = line:match("^(%x+)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", "/webhooks/whatsapp",
        {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = "sha256=" .. sig}, body)
    end
    i = i + 1
  end
end
function request()
  sent = sent + 1
  return reqs[(sent - 1) % #reqs + 1]
end
function done(summary, latency, requests)
  io.write(string.format("p50=%.1fms p99=%.1fms\n", latency:percentile(50)/1000, latency:percentile(99)/1000))
  for _, t in ipairs(threads) do
    io.write(string.format("thread %d sent %d\n", t:get("tid"), t:get("sent")))
  end
end
