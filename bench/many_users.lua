-- wrk -s many_users.lua URL   (env: LISTS_SCRIPT, USERS)
-- The lists query, round-robin over USERS (default 1000) bearer tokens
-- user0001-token .. user1000-token (bench/stub.py registers them, each its own
-- account with alice's 45 items): a low cache hit rate and a large cache.
-- LISTS_SCRIPT is the system's own lists script (loadgen/lists.lua or
-- mesh-openapi/lua/mesh-lists.lua); it sets the body, the failure counting and
-- the RESULT line, and this file only swaps the Authorization header.
dofile(assert(os.getenv("LISTS_SCRIPT"), "set LISTS_SCRIPT"))

local users = tonumber(os.getenv("USERS") or "1000")
local requests = {}
local index = 0

function init(args)
  for n = 1, users do
    local headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["Authorization"] = string.format("Bearer user%04d-token", n)
    requests[n] = wrk.format(nil, nil, headers)
  end
  -- Threads start half-way apart, so they do not ask for the same user together.
  index = ((thread_id or 1) - 1) * math.floor(users / 2)
end

function request()
  index = index % users + 1
  return requests[index]
end
