-- POST /bench-probe/purchase-sql?user=N: the purchase's SQL alone, a random player per request.
-- args: first_user_id last_user_id
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local first, last

init = function(args)
   first, last = tonumber(args[1]), tonumber(args[2])
   math.randomseed(os.time() + thread_id)
end

request = function()
   return wrk.format("POST", "/bench-probe/purchase-sql?user=" .. math.random(first, last))
end

response = function(status, headers, body)
   report.count(status, headers)
end
