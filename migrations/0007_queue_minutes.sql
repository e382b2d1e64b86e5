-- Each queue minute by minute over the last hour: what the dashboard's
-- charts draw, and a view to query like the others in 0002_reports.sql.

CREATE VIEW reel_report_queue_minutes AS
WITH minutes AS (
    SELECT generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()), interval '1 minute') AS minute
), recent AS (
    -- Jobs that could have been waiting, running or finishing in the last hour.
    SELECT queue, state, run_at, attempted_at, finalized_at FROM reel_jobs
    WHERE (finalized_at IS NULL OR finalized_at > now() - interval '61 minutes') AND state <> 'pending'
), queues AS (
    SELECT DISTINCT queue FROM recent UNION SELECT name FROM reel_queues
), finished AS (
    SELECT queue, date_trunc('minute', finalized_at) AS minute,
           count(*) FILTER (WHERE state = 'completed') AS completed,
           count(*) FILTER (WHERE state = 'discarded') AS discarded
    FROM recent WHERE finalized_at IS NOT NULL GROUP BY 1, 2
), started AS (
    SELECT queue, date_trunc('minute', attempted_at) AS minute, count(*) AS started,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at)) * 1000 AS wait_p50_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at)) * 1000 AS wait_p95_ms
    FROM recent WHERE attempted_at > now() - interval '61 minutes' AND attempted_at >= run_at GROUP BY 1, 2
)
SELECT q.queue, m.minute,
       -- Waiting at the end of the minute (now, for the current one): runnable by
       -- then, not yet taken (or taken only for an earlier attempt), not finished.
       -- Estimated from the jobs' own timestamps, so pruned jobs are not counted.
       (SELECT count(*) FROM recent r
        WHERE r.queue = q.queue AND r.run_at <= m.at
          AND (r.attempted_at IS NULL OR r.attempted_at < r.run_at OR r.attempted_at > m.at)
          AND (r.finalized_at IS NULL OR r.finalized_at > m.at)) AS waiting,
       coalesce(s.started, 0) AS started,
       coalesce(f.completed, 0) AS completed,
       coalesce(f.discarded, 0) AS discarded,
       round(s.wait_p50_ms::numeric, 2) AS wait_p50_ms,
       round(s.wait_p95_ms::numeric, 2) AS wait_p95_ms
FROM queues q CROSS JOIN (SELECT minute, least(minute + interval '1 minute', now()) AS at FROM minutes) m
LEFT JOIN finished f ON f.queue = q.queue AND f.minute = m.minute
LEFT JOIN started s ON s.queue = q.queue AND s.minute = m.minute
ORDER BY q.queue, m.minute;
COMMENT ON VIEW reel_report_queue_minutes IS 'per queue and minute of the last hour: jobs waiting at the minute''s end, started, completed, discarded, wait p50/p95 ms';
