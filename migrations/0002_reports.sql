-- Reporting views: plain SQL an operator can read, join and export.
-- `reel report` lists every view named reel_report_* with its comment;
-- docs/reporting.md has example queries.

CREATE VIEW reel_report_queues AS
SELECT queue,
       count(*) FILTER (WHERE state = 'pending')   AS pending,
       count(*) FILTER (WHERE state = 'available') AS available,
       count(*) FILTER (WHERE state = 'scheduled') AS scheduled,
       count(*) FILTER (WHERE state = 'running')   AS running,
       count(*) FILTER (WHERE state = 'retryable') AS retryable,
       count(*) FILTER (WHERE state = 'completed') AS completed,
       count(*) FILTER (WHERE state = 'discarded') AS discarded,
       count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE state = 'completed' AND finalized_at > now() - interval '1 minute') AS completed_last_minute,
       round(extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'available'))::numeric, 3) AS oldest_available_s
FROM reel_jobs GROUP BY queue;
COMMENT ON VIEW reel_report_queues IS 'per queue: jobs in each state, completed in the last minute, age of the oldest available job';

CREATE VIEW reel_report_jobs_by_state AS
SELECT queue, kind, state, count(*) AS jobs
FROM reel_jobs GROUP BY queue, kind, state;
COMMENT ON VIEW reel_report_jobs_by_state IS 'jobs per queue, kind and state';

-- Every failed attempt is one entry of errors; this counts them per hour.
CREATE VIEW reel_report_failure_rate AS
WITH attempts AS (
    SELECT j.kind, date_trunc('hour', (e ->> 'at')::timestamptz) AS hour, 1 AS failed, 0 AS succeeded
    FROM reel_jobs j, jsonb_array_elements(j.errors) e
    UNION ALL
    SELECT kind, date_trunc('hour', finalized_at), 0, 1 FROM reel_jobs WHERE state = 'completed'
)
SELECT kind, hour, sum(failed) AS failed_attempts, sum(succeeded) AS completed,
       round(sum(failed)::numeric / nullif(sum(failed) + sum(succeeded), 0), 4) AS failure_rate
FROM attempts WHERE hour > now() - interval '24 hours'
GROUP BY kind, hour;
COMMENT ON VIEW reel_report_failure_rate IS 'failed attempts, completions and failure rate per kind per hour (last 24 h)';

-- Time in queue: from when a job could run (run_at) to when a worker took it.
CREATE VIEW reel_report_time_in_queue AS
SELECT queue, kind, count(*) AS jobs,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at)) * 1000)::numeric, 2) AS p50_ms,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at)) * 1000)::numeric, 2) AS p95_ms,
       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at)) * 1000)::numeric, 2) AS p99_ms
FROM reel_jobs
WHERE attempted_at > now() - interval '1 hour' AND attempt = 1 AND attempted_at >= run_at
GROUP BY queue, kind;
COMMENT ON VIEW reel_report_time_in_queue IS 'wait from runnable to started (p50/p95/p99 ms) per queue and kind, first attempts of the last hour';

CREATE VIEW reel_report_slowest_kinds AS
SELECT kind, count(*) AS completed,
       round(avg(extract(epoch FROM finalized_at - attempted_at))::numeric, 3) AS avg_s,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - attempted_at)))::numeric, 3) AS p95_s,
       round(max(extract(epoch FROM finalized_at - attempted_at))::numeric, 3) AS max_s
FROM reel_jobs
WHERE state = 'completed' AND finalized_at > now() - interval '24 hours'
GROUP BY kind ORDER BY p95_s DESC;
COMMENT ON VIEW reel_report_slowest_kinds IS 'run time of completed jobs per kind over the last 24 h, slowest first';

CREATE VIEW reel_report_recent_failures AS
SELECT j.id, j.kind, j.queue, j.tenant, j.state, (e ->> 'attempt')::int AS attempt,
       (e ->> 'at')::timestamptz AS failed_at, e ->> 'worker' AS worker, e ->> 'message' AS message
FROM reel_jobs j, jsonb_array_elements(j.errors) e
WHERE (e ->> 'at')::timestamptz > now() - interval '24 hours'
ORDER BY failed_at DESC;
COMMENT ON VIEW reel_report_recent_failures IS 'every failed attempt of the last 24 h with its worker and message, newest first';
