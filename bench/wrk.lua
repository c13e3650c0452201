-- bench/wrk.lua: the requests of bench/run, and one JSON line at the end.
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    the body of a POST (sent as application/json)
--   BENCH_TOKEN   sent as Authorization: Bearer, when set
--   BENCH_VARY_AS_OF  when set, each GET adds ?as_of= with another day, so
--                 no two requests in a row ask the same answer
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local token = os.getenv("BENCH_TOKEN")

wrk.method = method
if token and token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end
if method == "POST" then
	wrk.body = body or "{}"
	wrk.headers["Content-Type"] = "application/json"
end

if (os.getenv("BENCH_VARY_AS_OF") or "") ~= "" then
	local n = 0
	local first = os.time({ year = 2015, month = 1, day = 1, hour = 12 })
	function request()
		n = n + 1
		local day = os.date("!%Y-%m-%d", first + (n % 3650) * 86400)
		return wrk.format(nil, wrk.path .. "?as_of=" .. day)
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
		'"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
		'"timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(99), latency.max))
end
