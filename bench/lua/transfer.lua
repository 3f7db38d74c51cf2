-- POST /api/v1/transfers ({"from_user": a, "to_user": b, "amount": 1}) as the trusted backend,
-- between two random players, with a fresh Idempotency-Key on every request.
-- args: tokens_file backend_token key_prefix
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local users, post

init = function(args)
   users, post = report.backend(args, 1)
end

request = function()
   local from = math.random(#users)
   local to = (from + math.random(#users - 1) - 1) % #users + 1 -- never `from`
   local body = string.format(
      '{"from_user": %s, "to_user": %s, "amount": 1}', users[from].id, users[to].id
   )
   return post("/api/v1/transfers", body)
end

response = function(status, headers, body)
   report.count(status, headers)
end
