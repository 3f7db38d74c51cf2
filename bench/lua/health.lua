-- GET /api/v1/health: the ceiling of the stack (gunicorn + Django + DRF) with no DB or cache.
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

request = function()
   return wrk.format("GET", "/api/v1/health")
end

response = function(status, headers, body)
   report.count(status, headers)
end
