-- Holds as a game server places and ends them, as the trusted backend with a fresh
-- Idempotency-Key on every request: POST /users/{id}/holds ({"amount": 1}) for a random player,
-- then, when `ending` is capture or void, the next request of the thread ends a hold it placed
-- (POST /holds/{id}/capture or /void), so places and endings alternate. `ending` none: places
-- only (each hold stays open until its default expiry, an hour).
-- args: ending tokens_file backend_token key_prefix
package.path = "bench/lua/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local ending, users, post
local placed = {} -- hold ids this thread placed and has not ended yet

init = function(args)
   ending = args[1]
   users, post = report.backend(args, 2)
end

request = function()
   if ending ~= "none" and #placed > 0 then
      return post("/api/v1/holds/" .. table.remove(placed) .. "/" .. ending, "{}")
   end
   local user = users[math.random(#users)]
   return post("/api/v1/users/" .. user.id .. "/holds", '{"amount": 1}')
end

response = function(status, headers, body)
   report.count(status, headers)
   if status == 201 and ending ~= "none" then
      local id = body:match('"hold":%s*{%s*"id":%s*(%d+)')
      if id then
         table.insert(placed, id)
      end
   end
end
