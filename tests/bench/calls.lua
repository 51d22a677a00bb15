-- wrk: POST /api/calls into one queue; BENCH_QUEUE and BENCH_TOKEN from
-- the environment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = '{"queue_id":"' .. os.getenv("BENCH_QUEUE") .. '","caller_number":"+15550199"}'
