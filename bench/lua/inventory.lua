-- GET /api/v1/users/{id}/inventory as a random player reading its own inventory.
-- Whether it hits the cache depends on the server (bench/run.py warms it, or starts a server
-- with ECONOMY_INVENTORY_CACHE_TTL=0 for the miss scenario).
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
   return wrk.format("GET", "/api/v1/users/" .. user.id .. "/inventory", {
      ["Authorization"] = "Token " .. user.token,
   })
end

response = function(status, headers, body)
   report.count(status, headers)
end
