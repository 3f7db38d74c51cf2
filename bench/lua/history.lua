-- GET /api/v1/users/{id}/transactions as a random player reading its own history's first page.
-- args: tokens_file
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local users

init = function(args)
   users = report.read_tokens(args[1])
   math.randomseed(os.time() + thread_id)
end

request = function()
   local user = users[math.random(#users)]
   return wrk.format("GET", "/api/v1/users/" .. user.id .. "/transactions", {
      ["Authorization"] = "Token " .. user.token,
   })
end

response = function(status, headers, body)
   report.count(status, headers)
end
