-- wrk script for scripts/flood.sh: cycles through pre-built raw requests and counts statuses.
-- Usage: wrk ... -s flood.lua URL -- REQUESTS.lua   (REQUESTS.lua from flood.py gen)

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   reqs = dofile(args[1])
   -- Each thread starts at another offset of the shared schedule.
   pos = (id * 97) % #reqs
   counts = {}
   sent = 0
end

function request()
   pos = pos % #reqs + 1
   sent = sent + 1
   return reqs[pos]
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local total, statuses = 0, {}
   for _, thread in ipairs(threads) do
      total = total + thread:get("sent")
      for status, n in pairs(thread:get("counts")) do
         statuses[status] = (statuses[status] or 0) + n
      end
   end
   local e = summary.errors
   io.write(string.format("FLOOD sent=%d responses=%d duration_us=%d\n",
      total, summary.requests, summary.duration))
   io.write(string.format("FLOOD errors connect=%d read=%d write=%d status=%d timeout=%d\n",
      e.connect, e.read, e.write, e.status, e.timeout))
   io.write(string.format("FLOOD latency_us p50=%d p99=%d max=%d\n",
      latency:percentile(50), latency:percentile(99), latency.max))
   for status, n in pairs(statuses) do
      io.write(string.format("FLOOD status %d %d\n", status, n))
   end
end
