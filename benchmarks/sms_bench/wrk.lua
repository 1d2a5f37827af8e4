-- wrk script for the SMS webhook benchmark (benchmarks/sms_webhook.py).
--
-- With SMS_BENCH_REQUESTS set (a folder of <thread id>.req files, raw HTTP requests
-- separated by NUL bytes, each a signed POST with its own MessageSid), every thread
-- sends its own file's requests in order and never repeats one. Run it with one
-- connection per thread (-t N -c N): a connection carries one request at a time, so
-- each response belongs to the request the thread sent last, and the thread can say
-- which requests got a 2xx, which got another status, and which got no answer.
-- Without SMS_BENCH_REQUESTS, wrk sends its plain GET (bare views).
--
-- wrk itself calls request() once on thread 0 before the run, to check the script
-- (script_verify_request), and never sends that request: it shows as one
-- "unanswered" request per run, which the benchmark finds not stored.
--
-- done() writes wrk's summary, latency percentiles and each thread's accounting as
-- JSON to SMS_BENCH_OUT.

local requests_dir = os.getenv("SMS_BENCH_REQUESTS")
local out_path = os.getenv("SMS_BENCH_OUT")

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

if requests_dir and requests_dir ~= "" then
  function init(args)
    local file = assert(io.open(requests_dir .. "/" .. id .. ".req", "rb"))
    local data = file:read("*a")
    file:close()
    prepared = {}
    local pos = 1
    while true do
      local stop = string.find(data, "\0", pos, true)
      if not stop then break end
      prepared[#prepared + 1] = string.sub(data, pos, stop - 1)
      pos = stop + 1
    end
    issued = 0      -- requests handed to wrk (1-based indexes into this thread's file)
    ok = 0          -- of those, answered 2xx
    pending = 0     -- the index waiting for its response, 0 for none
    bad = {}        -- "index:status" for answers that were not 2xx
    noresp = {}     -- indexes wrk gave up on (the connection broke) before an answer
    exhausted = 0   -- requests wanted after the file ran out (a file too short)
  end

  function request()
    if not prepared then
      return wrk.format("GET", "/")  -- a state init() never ran in: send nothing real
    end
    if pending > 0 then
      noresp[#noresp + 1] = pending
    end
    if issued >= #prepared then
      exhausted = exhausted + 1
      pending = 0
      return wrk.format("GET", "/__sms_bench_requests_exhausted")
    end
    issued = issued + 1
    pending = issued
    return prepared[issued]
  end

  function response(status, headers, body)
    if pending > 0 then
      if status >= 200 and status < 300 then
        ok = ok + 1
      else
        bad[#bad + 1] = pending .. ":" .. status
      end
    end
    pending = 0
  end
end

local function quoted(list)
  local parts = {}
  for i, value in ipairs(list) do
    parts[i] = '"' .. tostring(value) .. '"'
  end
  return table.concat(parts, ",")
end

function done(summary, latency, requests)
  if not out_path or out_path == "" then return end
  local file = assert(io.open(out_path, "w"))
  local e = summary.errors
  file:write(string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
  file:write(string.format(
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d},',
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
  file:write('"threads":[')
  for i, thread in ipairs(threads) do
    if i > 1 then file:write(",") end
    local issued_n = thread:get("issued")
    if issued_n == nil then
      file:write(string.format('{"id":%d}', thread:get("id")))
    else
      file:write(string.format(
        '{"id":%d,"issued":%d,"ok":%d,"pending":%d,"exhausted":%d,"bad":[%s],"noresp":[%s]}',
        thread:get("id"), issued_n, thread:get("ok"), thread:get("pending"),
        thread:get("exhausted"), quoted(thread:get("bad")), quoted(thread:get("noresp"))))
    end
  end
  file:write("]}\n")
  file:close()
end
