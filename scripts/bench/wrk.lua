-- wrk script of scripts/bench.sh.
--   wrk ... -s wrk.lua URL -- none                 no Authorization header
--   wrk ... -s wrk.lua URL -- token FILE           one token (first line of FILE), repeated:
--                                                  a static request, as cheap as plain wrk
--   wrk ... -s wrk.lua URL -- pool FILE [STATE]    one token per line, cycled in order; with
--                                                  STATE, start after the index saved there
--                                                  and save the last index sent at the end,
--                                                  so a measured run continues its warm-up
--                                                  (restarting at token 1 would hit the
--                                                  cache for every token the warm-up sent)
--   wrk ... -s wrk.lua URL -- issue FILE           token requests: POST grant_type=
--                                                  client_credentials with Basic client
--                                                  authentication (FILE's first line: the
--                                                  base64 of id:secret), one static request
--   wrk ... -s wrk.lua URL -- once FILE MARKER     each token once, then stop and create
--                                                  the file MARKER (wrk itself only exits
--                                                  after -d, so bench.sh then sends SIGINT)
-- `done` prints one machine-readable line: CFRESULT key=value ...
-- bench.sh runs wrk with -t1, so one Lua state sees every request in order.

local mode = "none"
local requests = {}
local count = 0
local responses = 0
-- Globals, so that done() in wrk's main Lua state can read them with thread:get().
next_index = 0
state_file = nil
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   mode = args[1] or "none"
   local file = args[2]
   local marker = args[3]
   if mode == "token" then
      local f = assert(io.open(file, "r"))
      local token = f:read("*l")
      f:close()
      wrk.headers["Authorization"] = "Bearer " .. token
   elseif mode == "issue" then
      local f = assert(io.open(file, "r"))
      local basic = f:read("*l")
      f:close()
      wrk.method = "POST"
      wrk.body = "grant_type=client_credentials"
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
      wrk.headers["Authorization"] = "Basic " .. basic
   elseif mode == "pool" or mode == "once" then
      for line in io.lines(file) do
         if #line > 0 then
            count = count + 1
            -- Pre-formatted: request() only picks the next one.
            requests[count] = wrk.format(nil, nil, { Authorization = "Bearer " .. line })
         end
      end
      assert(count > 0, "empty token pool " .. file)
      if mode == "pool" and args[3] then
         state_file = args[3]
         local f = io.open(state_file, "r")
         if f then
            next_index = (tonumber(f:read("*l")) or 0) % count
            f:close()
         end
      end
      request = function()
         next_index = next_index % count + 1
         return requests[next_index]
      end
      if mode == "once" then
         response = function(status, headers, body)
            responses = responses + 1
            if responses == count then
               local f = assert(io.open(marker, "w"))
               f:write(responses, "\n")
               f:close()
               wrk.thread:stop()
            end
         end
      end
   elseif mode ~= "none" then
      error("unknown mode " .. mode)
   end
end

function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      local file = thread:get("state_file")
      if file then
         local f = assert(io.open(file, "w"))
         f:write(thread:get("next_index"), "\n")
         f:close()
      end
   end
   local e = summary.errors
   io.write(string.format(
      "CFRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d " ..
      "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
