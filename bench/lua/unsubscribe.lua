dofile(os.getenv("BENCH_LUA") .. "/numbers.lua")
request = function()
  local body = '{"user":{"phone":"' .. next_number() .. '"},"notification":{"disabled":false}}'
  return wrk.format("POST", "/v1/subscriptions/unsubscribe",
    {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end
