-- POST /api/v1/products/{id}/purchase by ONE player on every connection: every request
-- queues on the same user row lock (the hot row).
-- args: token product_id
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local req

init = function(args)
   req = wrk.format("POST", "/api/v1/products/" .. args[2] .. "/purchase", {
      ["Authorization"] = "Token " .. args[1],
      ["Content-Type"] = "application/json",
   }, '{"quantity": 1}')
end

request = function()
   return req
end

response = function(status, headers, body)
   report.count(status, headers)
end
