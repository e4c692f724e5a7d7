-- One request per stored token, round robin. Arguments after `--`: the token file (one per line),
-- the method, and the path with `{token}` where the token goes, e.g.
--   wrk -s scripts/wrk/tokens.lua URL -- tokens.txt POST /vault/v1/cards/{token}/reveal
-- The requests are formatted once in `init`, so the load generator spends its time sending.
local requests = {}
local index = 0
function init(args)
  local method, template = args[2], args[3]
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format(method, (template:gsub("{token}", line)))
  end
end
function request()
  index = index % #requests + 1
  return requests[index]
end
