-- POST /api/v1/users/{id}/add-funds as the trusted backend, a fresh Idempotency-Key on every
-- request (a replay would be cheaper and would hide the real cost: replays are counted).
-- args: tokens_file backend_token run_nonce
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local users, auth, prefix
local counter = 0

init = function(args)
   users = report.read_tokens(args[1])
   auth = "Token " .. args[2]
   prefix = args[3] .. "-" .. thread_id .. "-"
   math.randomseed(os.time() + thread_id)
end

request = function()
   counter = counter + 1
   local user = users[math.random(#users)]
   return wrk.format("POST", "/api/v1/users/" .. user.id .. "/add-funds", {
      ["Authorization"] = auth,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = prefix .. counter,
   }, '{"amount": 1}')
end

response = function(status, headers, body)
   report.count(status, headers)
end
