-- Reads the metadata of tokens read from the file given after `--`, round robin (formatted once,
-- in `init`, like reveal.lua).
local requests = {}
local index = 0
function init(args)
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("GET", "/vault/v1/cards/" .. line)
  end
end
function request()
  index = index % #requests + 1
  return requests[index]
end
