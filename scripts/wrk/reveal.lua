-- Reveals tokens read from the file given after `--`, round robin.
local tokens = {}
local index = 0
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
end
function request()
  index = index % #tokens + 1
  return wrk.format("POST", "/vault/v1/cards/" .. tokens[index] .. "/reveal")
end
