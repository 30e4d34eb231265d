-- Phone numbers for wrk threads. Generated: thread t's n-th number is
-- +1 914 (200 + 300 t + n / 10000) (n % 10000), valid in the NANP and never shared
-- by two requests of a run. Listed: a file of numbers, one a line, which the
-- threads share out between them and cycle over.
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  thread:set("nthreads", 0)
  table.insert(threads, thread)
  for _, t in ipairs(threads) do t:set("nthreads", #threads) end
end

function number(thread, n)
  local exchange = 200 + 300 * thread + math.floor(n / 10000)
  return string.format("+1914%03d%04d", exchange, n % 10000)
end

-- Arguments: the Authorization header, then either where generated numbers start
-- (a number; the warm-up uses ones the measured runs never do) or a file of numbers.
function init(args)
  wrk_args = args
  auth = args[1]
  counter = 0
  offset = tonumber(args[2] or "0")
  if offset == nil then
    listed = {}
    local index = 0
    for line in io.lines(args[2]) do
      if index % nthreads == tid then table.insert(listed, line) end
      index = index + 1
    end
  end
end

function next_number()
  counter = counter + 1
  if listed ~= nil then return listed[(counter - 1) % #listed + 1] end
  return number(tid, offset + counter)
end
