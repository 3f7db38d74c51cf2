-- GET /bench-probe/cache-read: one Redis MGET in a DRF view, nothing else.
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

request = function()
   return wrk.format("GET", "/bench-probe/cache-read")
end

response = function(status, headers, body)
   report.count(status, headers)
end
