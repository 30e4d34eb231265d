dofile(os.getenv("BENCH_LUA") .. "/numbers.lua")
request = function()
  local phone = next_number()
  return wrk.format("GET", "/v1/subscriptions?phone=%2B" .. string.sub(phone, 2),
    {["Authorization"] = auth})
end
