dofile(os.getenv("BENCH_LUA") .. "/numbers.lua")
request = function()
  local body = '{"user":{"phone":"' .. next_number() .. '"},"locale":{"language":"en","country":"US"},'
    .. '"subscriptionType":"MARKETING","singleOptIn":true}'
  return wrk.format("POST", "/v1/subscriptions",
    {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end
