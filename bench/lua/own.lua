-- GET /api/v1/users/{id}/<what> as a random player reading its own data (inventory, history).
-- bench/run.py warms every player's inventory first, so that every inventory read hits the cache.
-- args: tokens_file, what
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local users, what

init = function(args)
   users = report.read_tokens(args[1])
   what = args[2]
   math.randomseed(os.time() + thread_id)
end

request = function()
   local user = users[math.random(#users)]
   return wrk.format("GET", "/api/v1/users/" .. user.id .. "/" .. what, {
      ["Authorization"] = "Token " .. user.token,
   })
end

response = function(status, headers, body)
   report.count(status, headers)
end
