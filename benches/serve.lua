-- wrk: POST the client-credentials form a client of `wktui serve` sends.
-- The local secret comes from the environment, never from the command line.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Version"] = "2026-01-01"
wrk.body = "grant_type=client_credentials&client_id=" .. (os.getenv("WKTUI_BENCH_CLIENT") or "bench")
  .. "&client_secret=" .. (os.getenv("WKTUI_BENCH_SECRET") or "")

-- Answers other than 2xx/3xx, so that a run of refusals cannot pass as speed.
function done(summary, latency, requests)
  io.write(string.format("non-2xx answers: %d\n", summary.errors.status))
end
