-- GET a path with no credentials; args: path (default /api/v1/health, the ceiling of the
-- stack: gunicorn + Django + DRF with no DB or cache).
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local path

init = function(args)
   path = args[1] or "/api/v1/health"
end

request = function()
   return wrk.format("GET", path)
end

response = function(status, headers, body)
   report.count(status, headers)
end
