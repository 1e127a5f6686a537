-- wrk script for bench/load.sh: one request shape per run, chosen by
-- environment variables, and one machine-readable RESULT line at the end.
--
--   BENCH_NAME       label of the RESULT line
--   BENCH_KIND       get (default): METHOD PATH [BODY_FILE] as is
--                    create: POST PATH with a new individual (2 accounts) each time
--                    mix: rotate GET individual / page of 100 / create / feed page
--   BENCH_METHOD, BENCH_PATH, BENCH_BODY_FILE, BENCH_CONTENT_TYPE
--   BENCH_KEY        API key (proxy runs)
--   BENCH_BASE       API base path, BENCH_ID an individual id (mix)

local name = os.getenv("BENCH_NAME") or "run"
local kind = os.getenv("BENCH_KIND") or "get"
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body_file = os.getenv("BENCH_BODY_FILE")
local content_type = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
local key = os.getenv("BENCH_KEY")
local base = os.getenv("BENCH_BASE") or "/api/v1/registry"
local id = os.getenv("BENCH_ID") or "1"

-- An individual with a national id (10 digits, unique per thread and
-- request), a phone and two accounts at two banks.
local individual = [[{"given_name": "Mariama", "family_name": "Diop", "gender": "Female", "birthdate": "1988-04-12",
 "ids": [{"id_type": "National ID", "value": "%010d"}],
 "phone_numbers": [{"phone_no": "+221 77 %07d"}],
 "bank_ids": [{"bank_name": "Ecobank Sénégal", "bic": "ECOCSNDA", "acc_number": "0152 %012d"},
              {"bank_name": "Caisse Rurale de Thiès", "acc_number": "CRT-%010d"}]}]]

local next_thread = 0
local threads = {}
function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
  table.insert(threads, thread)
end

local headers, body, counter

function init(args)
  headers = {["Content-Type"] = content_type}
  if key then headers["Authorization"] = "Bearer " .. key end
  if body_file then
    local f = assert(io.open(body_file, "rb"))
    body = f:read("*a")
    f:close()
  end
  counter = 0
end

local function create()
  counter = counter + 1
  -- tid 1..9 -> 10-digit ids that no other run or the demo seed uses
  local n = tid * 1000000000 + 500000000 + counter
  return wrk.format("POST", path, headers, string.format(individual, n, n % 10000000, n, n))
end

local mix = {
  function() return wrk.format("GET", base .. "/individual/" .. id, headers) end,
  function() return wrk.format("GET", base .. "/individual?limit=100", headers) end,
  function() path = base .. "/individual"; return create() end,
  function() return wrk.format("GET", base .. "/bank-accounts?limit=100", headers) end,
}

function request()
  if kind == "create" then
    return create()
  elseif kind == "mix" then
    counter = counter + 1
    return mix[(counter % #mix) + 1]()
  end
  return wrk.format(method, path, headers, body)
end

-- failures counts the answers that were not 2xx by status, so that a run
-- with errors says which (429 rate limit, 503 breaker open, ...).
failures = {}
function response(status, headers, body)
  if status >= 300 then
    failures[status] = (failures[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("RESULT %s %.1f %.3f %.3f %d %d\n", name,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
  local byStatus = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("failures")) do
      byStatus[status] = (byStatus[status] or 0) + n
    end
  end
  for status, n in pairs(byStatus) do
    io.write(string.format("FAILED %s %d %d\n", name, status, n))
  end
end
