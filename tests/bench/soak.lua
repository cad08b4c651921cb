-- wrk script for tests/bench/soak.sh: every request is the next path of a
-- rotation over summaries, files, k values and methods (splits), k-core and
-- statistics, so a small --cache-mb keeps computing, evicting and streaming.
-- The dataset is named by the environment variable SOAK_DATASET (default demo).
local ds = os.getenv("SOAK_DATASET") or "demo"
local methods = {
  temporal = {"train.txt", "validation.txt", "test.txt", "users.tsv", "items.tsv"},
  full = {"all.txt", "users.tsv", "items.tsv"},
}
local paths = {}
for k = 2, 6 do
  for name, files in pairs(methods) do
    local base = "/v1/datasets/" .. ds .. "/splits/" .. name .. "?k=" .. k
    paths[#paths + 1] = base
    for _, f in ipairs(files) do
      paths[#paths + 1] = "/v1/datasets/" .. ds .. "/splits/" .. name .. "/" .. f .. "?k=" .. k
    end
  end
  paths[#paths + 1] = "/v1/datasets/" .. ds .. "/kcore?k=" .. k
end
paths[#paths + 1] = "/v1/datasets/" .. ds
paths[#paths + 1] = "/healthz"

local i = 0
function setup(thread)
  thread:set("offset", math.random(#paths))
end

function request()
  i = i + 1
  return wrk.format("GET", paths[(i + (offset or 0)) % #paths + 1])
end
