-- Shared by every scenario: per-thread status counts, and done() printing one JSON line
-- (prefixed BENCH_JSON) that bench/run.py parses. Loaded with require("report").
local M = {}

local threads = {}

function M.setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

-- Thread-local state (each wrk thread has its own Lua state).
statuses = {}
replayed = 0

function M.count(status, headers)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if headers and headers["Idempotent-Replayed"] then
      replayed = replayed + 1
   end
end

function M.done(summary, latency, requests)
   local merged, total_replayed = {}, 0
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for status, n in pairs(counts) do
         merged[status] = (merged[status] or 0) + n
      end
      total_replayed = total_replayed + (thread:get("replayed") or 0)
   end
   local parts = {}
   for status, n in pairs(merged) do
      table.insert(parts, string.format('"%s": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
      '"statuses": {%s}, "replayed": %d, ' ..
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean, table.concat(parts, ", "), total_replayed,
      e.connect, e.read, e.write, e.timeout))
end

-- "user_id token" lines written by bench/bootstrap.py seed (any revision's).
function M.read_tokens(path)
   local users = {}
   for line in io.lines(path) do
      local id, token = line:match("^(%d+) (%w+)$")
      if id then
         table.insert(users, { id = id, token = token })
      end
   end
   assert(#users > 0, "no tokens in " .. path)
   return users
end

-- The trusted backend of the scenarios that write as it: args[first], args[first + 1] and
-- args[first + 2] are the tokens file, its token and a key prefix. Returns the players and
-- post(path, body), a POST as the backend with a fresh Idempotency-Key on every request (a
-- replay would be cheaper and would hide the real cost: replays are counted). Call from init.
function M.backend(args, first)
   local auth = "Token " .. args[first + 1]
   local prefix = args[first + 2] .. "-" .. thread_id .. "-"
   local counter = 0
   math.randomseed(os.time() + thread_id)
   local function post(path, body)
      counter = counter + 1
      return wrk.format("POST", path, {
         ["Authorization"] = auth,
         ["Content-Type"] = "application/json",
         ["Idempotency-Key"] = prefix .. counter,
      }, body)
   end
   return M.read_tokens(args[first]), post
end

return M
