-- GET a path: with no credentials, or as a random player when a tokens file is given.
-- args: path [tokens_file]
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local path, users

init = function(args)
   path = args[1]
   if args[2] then
      users = report.read_tokens(args[2])
   end
   math.randomseed(os.time() + thread_id)
end

request = function()
   if not users then
      return wrk.format("GET", path)
   end
   local user = users[math.random(#users)]
   return wrk.format("GET", path, { ["Authorization"] = "Token " .. user.token })
end

response = function(status, headers, body)
   report.count(status, headers)
end
