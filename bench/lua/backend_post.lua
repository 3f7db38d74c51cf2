-- POST /api/v1/users/{id}/<action> ({"amount": 1}) as the trusted backend, for a random player,
-- with a fresh Idempotency-Key on every request (a replay would be cheaper and would hide the
-- real cost: replays are counted). Actions: add-funds, spend.
-- args: action tokens_file backend_token key_prefix
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local action, users, auth, prefix
local counter = 0

init = function(args)
   action = args[1]
   users = report.read_tokens(args[2])
   auth = "Token " .. args[3]
   prefix = args[4] .. "-" .. thread_id .. "-"
   math.randomseed(os.time() + thread_id)
end

request = function()
   counter = counter + 1
   local user = users[math.random(#users)]
   return wrk.format("POST", "/api/v1/users/" .. user.id .. "/" .. action, {
      ["Authorization"] = auth,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = prefix .. counter,
   }, '{"amount": 1}')
end

response = function(status, headers, body)
   report.count(status, headers)
end
