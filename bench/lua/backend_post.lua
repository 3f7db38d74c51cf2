-- POST /api/v1/users/{id}/<action> ({"amount": 1}) as the trusted backend, for a random player,
-- with a fresh Idempotency-Key on every request. Actions: add-funds, spend.
-- args: action tokens_file backend_token key_prefix
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local action, users, post

init = function(args)
   action = args[1]
   users, post = report.backend(args, 2)
end

request = function()
   local user = users[math.random(#users)]
   return post("/api/v1/users/" .. user.id .. "/" .. action, '{"amount": 1}')
end

response = function(status, headers, body)
   report.count(status, headers)
end
