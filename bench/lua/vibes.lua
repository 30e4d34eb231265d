dofile(os.getenv("BENCH_LUA") .. "/numbers.lua")
-- A person's subscriptions through the Vibes dialect: args are the Basic header, a
-- file of person keys, and the company key.
local base
request = function()
  if base == nil then base = "/companies/" .. wrk_args[3] .. "/mobiledb/persons/" end
  return wrk.format("GET", base .. next_number() .. "/subscriptions", {["Authorization"] = auth})
end
