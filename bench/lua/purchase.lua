-- POST /api/v1/products/{id}/purchase, quantity 1, as a random player per request.
-- args: tokens_file product_id
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local users, path

init = function(args)
   users = report.read_tokens(args[1])
   path = "/api/v1/products/" .. args[2] .. "/purchase"
   math.randomseed(os.time() + thread_id)
end

request = function()
   local user = users[math.random(#users)]
   return wrk.format("POST", path, {
      ["Authorization"] = "Token " .. user.token,
      ["Content-Type"] = "application/json",
   }, '{"quantity": 1}')
end

response = function(status, headers, body)
   report.count(status, headers)
end
