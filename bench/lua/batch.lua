dofile(os.getenv("BENCH_LUA") .. "/numbers.lua")
-- The first 1,000 listed numbers of this thread, in one body sent over and over.
local body
request = function()
  if body == nil then
    local users = {}
    for n = 1, math.min(1000, #listed) do users[n] = '{"phone":"' .. listed[n] .. '"}' end
    body = '{"users":[' .. table.concat(users, ",") .. ']}'
  end
  return wrk.format("POST", "/v1/subscriptions/eligibility",
    {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end
