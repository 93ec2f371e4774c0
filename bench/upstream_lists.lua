-- wrk -s upstream_lists.lua http://STUB:PORT   (env: LOADGEN_DIR, ACCOUNT_ID)
-- The REST GETs behind the lists query, straight at the stub, in turn:
-- /api/account, then favorites/movies, watchlist/tv and rated/movies of
-- ACCOUNT_ID (default alice, 12345). The latency scenario compares a gateway's
-- p50 with these, to see the gateway's own added latency.
local common = dofile(assert(os.getenv("LOADGEN_DIR"), "set LOADGEN_DIR") .. "/common.lua")

wrk.method = "GET"
common.install({ check_body = false })

local id = os.getenv("ACCOUNT_ID") or "12345"
local paths = {
  "/api/account",
  "/api/account/" .. id .. "/favorites/movies",
  "/api/account/" .. id .. "/watchlist/tv",
  "/api/account/" .. id .. "/rated/movies",
}
local requests = {}
local index = 0

function init(args)
  for k, path in ipairs(paths) do requests[k] = wrk.format("GET", path) end
end

function request()
  index = index % #requests + 1
  return requests[index]
end
