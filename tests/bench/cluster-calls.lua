-- wrk: POST /api/calls round-robin over the companies' queues of the file
-- BENCH_TARGETS ("COMPANY QUEUE" a line), as the admin of BENCH_TOKEN; each
-- thread stops after BENCH_CAP answers (0: no cap), so that no call is
-- created for which no agent is free (tests/bench/cluster-calls.sh).
local bodies = {}
for line in io.lines(os.getenv("BENCH_TARGETS")) do
	local c, q = line:match("(%S+) (%S+)")
	if c then
		bodies[#bodies + 1] = '{"company_id":"' .. c .. '","queue_id":"' ..
		    q .. '","caller_number":"+15550199"}'
	end
end
local cap = tonumber(os.getenv("BENCH_CAP") or "0")
local i = tonumber(os.getenv("BENCH_START") or "0")
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

request = function()
	i = i % #bodies + 1
	return wrk.format(nil, nil, nil, bodies[i])
end

response = function(status, headers, body)
	n = n + 1
	if cap > 0 and n >= cap then
		wrk.thread:stop()
	end
end
