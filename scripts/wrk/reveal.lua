-- Reveals tokens read from the file given after `--`, round robin. The requests are formatted
-- once in `init`, so the load generator spends its time sending, not building strings.
local requests = {}
local index = 0
function init(args)
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("POST", "/vault/v1/cards/" .. line .. "/reveal")
  end
end
function request()
  index = index % #requests + 1
  return requests[index]
end
