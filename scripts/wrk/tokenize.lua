-- POSTs a new, valid card per request: "4", a per-thread counter over 14 digits, the Luhn digit.
-- With an argument (one digit: `wrk … -- 3`), that digit follows the "4", so that several wrk
-- processes running at once (one per node) never send the same number.
local counter = 0
local next_thread = 0
local process = nil
function init(args) process = args[1] end
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end
local function luhn(body)
  local sum, double = 0, true
  for i = #body, 1, -1 do
    local d = body:byte(i) - 48
    if double then d = d * 2; if d > 9 then d = d - 9 end end
    sum = sum + d; double = not double
  end
  return (10 - sum % 10) % 10
end
function request()
  counter = counter + 1
  local body = process and ("4" .. process .. string.format("%02d%011d", thread_index % 100, counter))
    or ("4" .. string.format("%02d%012d", thread_index % 100, counter))
  return wrk.format("POST", "/vault/v1/cards", nil,
    '{"number":"' .. body .. luhn(body) .. '","expirationDate":"203012"}')
end
