-- The queue's cost must not grow with its history (issue 12; docs/job-lifecycle.md,
-- "Where a job lives"). Finished jobs leave the hot table:
--   reel_jobs_live     jobs that may still run (pending, available, scheduled,
--                      running, retryable): what claims, heartbeats and
--                      completions touch, and all they touch;
--   reel_jobs_history  completed, discarded and cancelled jobs, partitioned by
--                      outcome, then by finalized_at into partitions of a fixed
--                      width that retention drops whole (reel_history_maintain);
--   reel_jobs          a view over both: what operators, reports and the
--                      cookbook query, so a job is found by id wherever it lives.
-- A job finishes in one statement that deletes it from the live table and
-- inserts it into the history (reel_archive): a crash leaves it in exactly one.
-- Every hot statement is bound to an index whatever the statistics say: rows
-- are named by `id = ANY (…)` (the primary key), never by a join whose order the
-- planner may pick from stale estimates.

ALTER TABLE reel_jobs RENAME TO reel_jobs_live;
ALTER TABLE reel_jobs_live ADD CONSTRAINT reel_jobs_live_unfinished
    CHECK (state NOT IN ('completed', 'discarded', 'cancelled')) NOT VALID;
DROP INDEX reel_jobs_finalized;
-- Dependency rows name live children; reel_archive removes a finished child's
-- rows itself (a cascade would fire a trigger for every finished job).
ALTER TABLE reel_job_deps DROP CONSTRAINT reel_job_deps_child_id_fkey;
-- A tenant's last waiting job (fair share), led by the tenant: an index that
-- began with the queue, as reel_jobs_fetch does, let a claim planned on stale
-- statistics read a whole queue through it and sort it.
DROP INDEX reel_jobs_tenant;
CREATE INDEX reel_jobs_tenant ON reel_jobs_live (tenant, queue, fair_seq) WHERE state = 'available';
-- Rescue: expired leases of every queue, oldest first.
CREATE INDEX reel_jobs_lease ON reel_jobs_live (lease_expires_at) WHERE state = 'running';

-- Vacuum fits the workload (docs/operations.md, "Vacuum"): a job leaves about
-- three dead tuples in the live table (claim, completion, one per heartbeat),
-- none of them HOT (state and lease_expires_at are indexed), while the table
-- itself stays as small as the backlog. Vacuum it after a fixed number of dead
-- tuples, not a fraction of its size, and at full speed: it is small.
ALTER TABLE reel_jobs_live SET (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 20000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 20000,
    autovacuum_vacuum_cost_delay = 0);

CREATE TABLE reel_jobs_history (LIKE reel_jobs_live INCLUDING DEFAULTS) PARTITION BY LIST (state);
ALTER TABLE reel_jobs_history ALTER COLUMN finalized_at SET NOT NULL;
COMMENT ON TABLE reel_jobs_history IS 'finished jobs (completed, discarded, cancelled), partitioned by outcome and finalized_at; retention drops whole partitions';
CREATE TABLE reel_jobs_completed PARTITION OF reel_jobs_history FOR VALUES IN ('completed') PARTITION BY RANGE (finalized_at);
CREATE TABLE reel_jobs_failed PARTITION OF reel_jobs_history FOR VALUES IN ('discarded', 'cancelled') PARTITION BY RANGE (finalized_at);
-- Catch-alls, so that finishing a job never fails for want of a partition.
CREATE TABLE reel_jobs_completed_default PARTITION OF reel_jobs_completed DEFAULT;
CREATE TABLE reel_jobs_failed_default PARTITION OF reel_jobs_failed DEFAULT;
CREATE INDEX reel_jobs_history_id ON reel_jobs_history (id);
-- The defaults are emptied by finalized_at (reel_history_maintain); partitions are dropped whole.
CREATE INDEX reel_jobs_completed_default_finalized ON reel_jobs_completed_default (finalized_at);
CREATE INDEX reel_jobs_failed_default_finalized ON reel_jobs_failed_default (finalized_at);
-- A completed job keeps its unique key until it is pruned.
CREATE INDEX reel_jobs_history_unique ON reel_jobs_history (unique_key) WHERE unique_key IS NOT NULL;

CREATE VIEW reel_jobs AS SELECT * FROM reel_jobs_live UNION ALL SELECT * FROM reel_jobs_history;
COMMENT ON VIEW reel_jobs IS 'every job: reel_jobs_live (may still run) and reel_jobs_history (finished)';

-- The reports follow the view (they were bound to the renamed table).
-- (pg_get_viewdef locks the view it reads: only this schema's, never another's.)
DO $$
DECLARE r record; v_def text;
BEGIN
    FOR r IN SELECT c.oid, c.relname FROM pg_class c
             WHERE c.relkind = 'v' AND c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'reel_report_%'
    LOOP
        v_def := pg_get_viewdef(r.oid);
        CONTINUE WHEN v_def NOT LIKE '%reel_jobs_live%';
        EXECUTE format('CREATE OR REPLACE VIEW %I AS %s', r.relname, replace(v_def, 'reel_jobs_live', 'reel_jobs'));
    END LOOP;
END $$;

-- Finishes live jobs: moves those of p_ids that are in one of p_from (and, with
-- p_attempts, still at that attempt) into the history as p_state, in one
-- statement. p_reason, when given, becomes the cancel reason. Returns the ids moved.
CREATE FUNCTION reel_archive(p_ids bigint[], p_attempts int[], p_from reel_job_state[], p_state reel_job_state, p_reason text)
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE v_ids bigint[]; v_children bigint[];
BEGIN
    WITH gone AS (
        DELETE FROM reel_jobs_live j
        WHERE j.id = ANY (p_ids) AND j.state = ANY (p_from)
          -- A hashed check of (id, attempt) pairs; the rows come by the primary key above.
          AND (p_attempts IS NULL OR (j.id, j.attempt) IN (SELECT a.id, a.attempt FROM unnest(p_ids, p_attempts) AS a (id, attempt)))
        RETURNING j.*
    ), kept AS (
        INSERT INTO reel_jobs_history (id, kind, queue, tenant, args, state, priority, fair_seq, attempt, max_attempts, run_at,
                                       lease_expires_at, attempted_by, attempted_at, errors, unique_key, parent_ids, pending_parents,
                                       cancel_requested_at, cancel_reason, created_at, finalized_at, meta)
        SELECT id, kind, queue, tenant, args, p_state, priority, fair_seq, attempt, max_attempts, run_at,
               NULL, attempted_by, attempted_at, errors, unique_key, parent_ids, pending_parents,
               cancel_requested_at, coalesce(p_reason, cancel_reason), created_at, now(), meta
        FROM gone
        RETURNING id, cardinality(parent_ids) > 0 AS waited
    ) SELECT array_agg(id), array_agg(id) FILTER (WHERE waited) INTO v_ids, v_children FROM kept;
    -- A finished child's dependency rows go with it (only jobs that had parents have any).
    IF v_children IS NOT NULL THEN
        DELETE FROM reel_job_deps WHERE child_id = ANY (v_children);
    END IF;
    RETURN coalesce(v_ids, '{}');
END $$;

-- Creates the history's partitions for now and the next p_ahead widths (moving
-- any rows of their range out of the default partition first), and drops
-- partitions whose whole range is past retention: completed jobs after
-- p_completed, discarded and cancelled ones after p_failed. A partition
-- someone is reading is left for the next call (lock_timeout), never waited
-- for, so completions never queue behind a report. Returns partitions created
-- plus dropped. Run by the leading scheduler every REEL_PRUNE_INTERVAL.
CREATE FUNCTION reel_history_maintain(p_width interval, p_completed interval, p_failed interval, p_ahead int DEFAULT 3)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    w double precision := extract(epoch FROM p_width);
    base double precision;
    parent text;
    lo timestamptz;
    hi timestamptz;
    v_name text;
    v_moving boolean;
    n int := 0;
    r record;
BEGIN
    IF w < 1 THEN
        RAISE EXCEPTION 'a history partition must span at least 1 second, not %', p_width
            USING ERRCODE = 'invalid_parameter_value', HINT = 'set REEL_HISTORY_PARTITION to a number of seconds >= 1';
    END IF;
    PERFORM set_config('lock_timeout', '200ms', true);
    base := floor(extract(epoch FROM now()) / w) * w;
    FOREACH parent IN ARRAY ARRAY['reel_jobs_completed', 'reel_jobs_failed'] LOOP
        FOR k IN 0..p_ahead LOOP
            lo := to_timestamp(base + k * w);
            hi := to_timestamp(base + (k + 1) * w);
            v_name := parent || '_' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD"t"HH24MISS');
            CONTINUE WHEN to_regclass(quote_ident(v_name)) IS NOT NULL;
            BEGIN
                EXECUTE format('CREATE TABLE %I (LIKE reel_jobs_history)', v_name);
                EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE finalized_at >= $1 AND finalized_at < $2)', parent || '_default')
                    INTO v_moving USING lo, hi;
                IF v_moving THEN
                    -- Rows that move from the default into the new partition must not be
                    -- missed by a query planned before it was attached: nobody reads
                    -- or writes this outcome's history meanwhile (for at most the lock
                    -- timeout, then the next round tries again).
                    EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', parent);
                    EXECUTE format('WITH m AS (DELETE FROM %I WHERE finalized_at >= $1 AND finalized_at < $2 RETURNING *) '
                                   'INSERT INTO %I SELECT * FROM m', parent || '_default', v_name) USING lo, hi;
                END IF;
                EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, v_name, lo, hi);
                n := n + 1;
            EXCEPTION
                -- Overlaps a partition of another width (the setting changed): that one serves.
                WHEN invalid_object_definition THEN NULL;
                WHEN lock_not_available OR deadlock_detected THEN NULL;
            END;
        END LOOP;
    END LOOP;
    FOR r IN
        SELECT c.relname, (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS upper,
               CASE p.relname WHEN 'reel_jobs_completed' THEN p_completed ELSE p_failed END AS keep
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname IN ('reel_jobs_completed', 'reel_jobs_failed') AND p.relnamespace = current_schema()::regnamespace
          AND NOT pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
    LOOP
        CONTINUE WHEN r.upper IS NULL OR r.upper > now() - r.keep;
        BEGIN
            EXECUTE format('DROP TABLE %I', r.relname);
            n := n + 1;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN NULL;
        END;
    END LOOP;
    -- What fell into the defaults (partitions were missing) goes row by row;
    -- planned on each call (EXECUTE), for what the defaults hold now.
    EXECUTE 'DELETE FROM reel_jobs_completed_default WHERE finalized_at < $1' USING now() - p_completed;
    EXECUTE 'DELETE FROM reel_jobs_failed_default WHERE finalized_at < $1' USING now() - p_failed;
    RETURN n;
END $$;

CREATE OR REPLACE FUNCTION reel_fair_base(p_queue text, p_tenant text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN greatest(
        coalesce((SELECT fair_seq FROM reel_jobs_live WHERE queue = p_queue AND state = 'available'
                  ORDER BY priority, fair_seq, id LIMIT 1), 0),
        coalesce((SELECT fair_seq + 1 FROM reel_jobs_live WHERE queue = p_queue AND tenant = p_tenant AND state = 'available'
                  ORDER BY fair_seq DESC LIMIT 1), 0));
END $$;

CREATE OR REPLACE FUNCTION reel_cancel_dependents(p_ids bigint[], p_reason text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_ids bigint[];
BEGIN
    WITH RECURSIVE d(id) AS (
        SELECT child_id FROM reel_job_deps WHERE parent_id = ANY (p_ids)
        UNION
        SELECT dep.child_id FROM reel_job_deps dep JOIN d ON dep.parent_id = d.id
    ) SELECT array_agg(id) INTO v_ids FROM d;
    IF v_ids IS NULL THEN RETURN 0; END IF;
    RETURN cardinality(reel_archive(v_ids, NULL, '{pending}', 'cancelled', p_reason));
END $$;

-- A job's parents, wherever they are: live ones locked FOR SHARE (so none
-- finishes unseen before the dependency is recorded), then finished ones.
CREATE FUNCTION reel_parents(p_ids bigint[]) RETURNS TABLE (id bigint, kind text, state reel_job_state) LANGUAGE plpgsql
-- Planned on each call: a history partition filling up since the last plan is
-- read by its index, not as the empty table it was (enqueues are not the hot path).
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN QUERY SELECT j.id, j.kind, j.state FROM reel_jobs_live j WHERE j.id = ANY (p_ids) ORDER BY j.id FOR SHARE;
    RETURN QUERY SELECT h.id, h.kind, h.state FROM reel_jobs_history h WHERE h.id = ANY (p_ids);
END $$;

CREATE OR REPLACE FUNCTION reel_insert_job(
    p_kind text, p_queue text, p_tenant text, p_args jsonb, p_priority smallint, p_max_attempts int,
    p_run_at timestamptz, p_unique_key text, p_parent_ids bigint[], p_meta jsonb
) RETURNS TABLE (id bigint, inserted boolean, state reel_job_state) LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
    v_state reel_job_state;
    v_pending int := 0;
    v_found int := 0;
    v_reason text;
    v_id bigint;
    v_parents bigint[] := coalesce(p_parent_ids, '{}');
    v_live bigint[];
BEGIN
    IF p_unique_key IS NOT NULL THEN
        RETURN QUERY SELECT j.id, false, j.state FROM reel_jobs_live j
            WHERE j.unique_key = p_unique_key AND j.state NOT IN ('discarded', 'cancelled');
        IF FOUND THEN RETURN; END IF;
        RETURN QUERY SELECT h.id, false, h.state FROM reel_jobs_history h
            WHERE h.unique_key = p_unique_key AND h.state = 'completed' LIMIT 1;
        IF FOUND THEN RETURN; END IF;
    END IF;
    IF cardinality(v_parents) > 0 THEN
        SELECT count(DISTINCT p.id),
               array_agg(DISTINCT p.id) FILTER (WHERE p.state NOT IN ('completed', 'discarded', 'cancelled')),
               (array_agg(format('parent job %s (%s) was %s', p.id, p.kind, p.state))
                    FILTER (WHERE p.state IN ('discarded', 'cancelled')))[1]
            INTO v_found, v_live, v_reason FROM reel_parents(v_parents) p;
        IF v_found < cardinality(ARRAY(SELECT DISTINCT unnest(v_parents))) THEN
            RAISE EXCEPTION 'a parent job does not exist: %', v_parents
                USING ERRCODE = 'foreign_key_violation', HINT = 'name jobs that exist (see reel jobs)';
        END IF;
        v_pending := coalesce(cardinality(v_live), 0);
    END IF;
    v_state := CASE
        WHEN v_reason IS NOT NULL THEN 'cancelled'
        WHEN v_pending > 0 THEN 'pending'
        WHEN p_run_at > now() THEN 'scheduled'
        ELSE 'available' END;
    IF v_state = 'cancelled' THEN
        -- Born finished: straight into the history.
        INSERT INTO reel_jobs_history (kind, queue, tenant, args, state, priority, max_attempts, run_at, unique_key,
                                       parent_ids, pending_parents, meta, cancel_reason, finalized_at)
        VALUES (p_kind, p_queue, p_tenant, p_args, 'cancelled', p_priority, p_max_attempts, greatest(p_run_at, now()),
                p_unique_key, v_parents, v_pending, p_meta, v_reason, now())
        RETURNING reel_jobs_history.id INTO v_id;
        RETURN QUERY SELECT v_id, true, v_state;
        RETURN;
    END IF;
    LOOP
        INSERT INTO reel_jobs_live AS j (kind, queue, tenant, args, state, priority, fair_seq, max_attempts, run_at,
                                         unique_key, parent_ids, pending_parents, meta)
        VALUES (p_kind, p_queue, p_tenant, p_args, v_state, p_priority, reel_fair_base(p_queue, p_tenant),
                p_max_attempts, greatest(p_run_at, now()), p_unique_key, v_parents, v_pending, p_meta)
        ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state NOT IN ('discarded', 'cancelled') DO NOTHING
        RETURNING j.id INTO v_id;
        IF v_id IS NOT NULL THEN
            IF v_pending > 0 THEN
                INSERT INTO reel_job_deps (parent_id, child_id) SELECT unnest(v_live), v_id;
            END IF;
            RETURN QUERY SELECT v_id, true, v_state;
            RETURN;
        END IF;
        -- Lost a race on the unique key: return the winner (it may have just
        -- finished: then it is in the history, or try the insert again).
        RETURN QUERY SELECT j.id, false, j.state FROM reel_jobs_live j
            WHERE j.unique_key = p_unique_key AND j.state NOT IN ('discarded', 'cancelled');
        IF FOUND THEN RETURN; END IF;
        RETURN QUERY SELECT h.id, false, h.state FROM reel_jobs_history h
            WHERE h.unique_key = p_unique_key AND h.state = 'completed' LIMIT 1;
        IF FOUND THEN RETURN; END IF;
    END LOOP;
END $$;

DROP FUNCTION reel_fetch(text, text, int, interval);
CREATE FUNCTION reel_fetch(p_queue text, p_worker text, p_limit int, p_lease interval)
RETURNS SETOF reel_jobs_live LANGUAGE plpgsql AS $$
DECLARE
    q reel_queues;
    room int := p_limit;
    v_tokens double precision;
    n int;
BEGIN
    SELECT * INTO q FROM reel_queues WHERE name = p_queue;
    IF FOUND AND (q.paused OR q.global_limit IS NOT NULL OR q.rate_per_second IS NOT NULL) THEN
        IF q.paused THEN RETURN; END IF;
        SELECT * INTO q FROM reel_queues WHERE name = p_queue FOR UPDATE;
        IF q.global_limit IS NOT NULL THEN
            SELECT q.global_limit - count(*) INTO n FROM reel_jobs_live WHERE queue = p_queue AND state = 'running';
            room := least(room, n);
        END IF;
        IF q.rate_per_second IS NOT NULL THEN
            v_tokens := least(coalesce(q.rate_burst, greatest(q.rate_per_second, 1)),
                              q.tokens + extract(epoch FROM clock_timestamp() - q.refilled_at) * q.rate_per_second);
            room := least(room, floor(v_tokens)::int);
        END IF;
        IF room <= 0 THEN
            IF q.rate_per_second IS NOT NULL THEN
                UPDATE reel_queues SET tokens = v_tokens, refilled_at = clock_timestamp() WHERE name = p_queue;
            END IF;
            RETURN;
        END IF;
    END IF;
    RETURN QUERY
    UPDATE reel_jobs_live j
    SET state = 'running', attempt = j.attempt + 1, attempted_at = clock_timestamp(), attempted_by = p_worker,
        lease_expires_at = clock_timestamp() + p_lease
    WHERE j.id = ANY (ARRAY(
        SELECT a.id FROM reel_jobs_live a
        WHERE a.state = 'available' AND a.queue = p_queue
        ORDER BY a.priority, a.fair_seq, a.id
        LIMIT room
        FOR UPDATE SKIP LOCKED))
    RETURNING j.*;
    IF q.rate_per_second IS NOT NULL THEN
        GET DIAGNOSTICS n = ROW_COUNT;
        UPDATE reel_queues SET tokens = v_tokens - n, refilled_at = clock_timestamp() WHERE name = p_queue;
    END IF;
END $$;

-- Makes pending children whose last parent just completed available. Each
-- parent's children are read by the index, one parent at a time (OFFSET 0
-- keeps the planner from joining the whole table on a guess).
CREATE OR REPLACE FUNCTION reel_release_children(p_done bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; v_children bigint[]; v_counts int[];
BEGIN
    SELECT array_agg(child_id ORDER BY child_id), array_agg(n ORDER BY child_id) INTO v_children, v_counts
    FROM (SELECT d.child_id, count(*)::int AS n
          FROM unnest(p_done) AS p (id), LATERAL (SELECT child_id FROM reel_job_deps WHERE parent_id = p.id OFFSET 0) d
          GROUP BY d.child_id) x;
    IF v_children IS NULL THEN RETURN; END IF;
    WITH u AS (
        UPDATE reel_jobs_live c
        SET pending_parents = c.pending_parents - v_counts[array_position(v_children, c.id)],
            state = CASE WHEN c.pending_parents - v_counts[array_position(v_children, c.id)] > 0 THEN 'pending'::reel_job_state
                         WHEN c.run_at > now() THEN 'scheduled'::reel_job_state
                         ELSE 'available'::reel_job_state END,
            run_at = CASE WHEN c.pending_parents - v_counts[array_position(v_children, c.id)] > 0 THEN c.run_at
                          ELSE greatest(c.run_at, now()) END
        WHERE c.id = ANY (v_children) AND c.state = 'pending'
        RETURNING c.queue, c.state
    )
    SELECT array_agg(DISTINCT queue) INTO v_queues FROM u WHERE state = 'available';
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
END $$;

-- Completes jobs (fenced by attempt, so a worker that lost its lease cannot
-- complete a job someone else now runs): into the history, then their
-- children are released. Two statements on purpose: the second sees
-- dependencies committed while the first waited for row locks.
CREATE OR REPLACE FUNCTION reel_complete(p_ids bigint[], p_attempts int[]) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_done bigint[];
BEGIN
    v_done := reel_archive(p_ids, p_attempts, '{running}', 'completed', NULL);
    IF cardinality(v_done) = 0 THEN RETURN 0; END IF;
    PERFORM reel_release_children(v_done);
    RETURN cardinality(v_done);
END $$;

CREATE OR REPLACE FUNCTION reel_fail(p_id bigint, p_attempt int, p_worker text, p_message text,
                                     p_retry_at timestamptz, p_permanent boolean)
RETURNS reel_job_state LANGUAGE plpgsql AS $$
DECLARE v_discard boolean; v_kind text;
BEGIN
    UPDATE reel_jobs_live j
    SET errors = j.errors || jsonb_build_object('attempt', j.attempt, 'at', now(), 'worker', p_worker,
                                                'message', p_message, 'permanent', p_permanent),
        state = CASE WHEN p_permanent OR j.attempt >= j.max_attempts THEN j.state ELSE 'retryable'::reel_job_state END,
        run_at = CASE WHEN p_permanent OR j.attempt >= j.max_attempts THEN j.run_at ELSE p_retry_at END,
        lease_expires_at = NULL
    WHERE j.id = p_id AND j.attempt = p_attempt AND j.state = 'running'
    RETURNING p_permanent OR j.attempt >= j.max_attempts, j.kind INTO v_discard, v_kind;
    IF NOT FOUND THEN RETURN NULL; END IF;
    IF NOT v_discard THEN RETURN 'retryable'; END IF;
    PERFORM reel_archive(ARRAY[p_id], NULL, '{running}', 'discarded', NULL);
    PERFORM reel_cancel_dependents(ARRAY[p_id], format('parent job %s (%s) was discarded: %s', p_id, v_kind, p_message));
    RETURN 'discarded';
END $$;

-- A worker's heartbeat: renews the leases it still holds (fenced by attempt)
-- and says which of them an operator asked to cancel.
CREATE FUNCTION reel_heartbeat(p_ids bigint[], p_attempts int[], p_lease interval)
RETURNS TABLE (id bigint, cancel_requested boolean) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    UPDATE reel_jobs_live j SET lease_expires_at = now() + p_lease
    WHERE j.id = ANY (p_ids) AND j.state = 'running'
      AND (j.id, j.attempt) IN (SELECT a.id, a.attempt FROM unnest(p_ids, p_attempts) AS a (id, attempt))
    RETURNING j.id, j.cancel_requested_at IS NOT NULL;
END $$;

-- A worker that shuts down hands back the jobs it could not finish: they run
-- again at once, the attempt not spent.
CREATE FUNCTION reel_release(p_ids bigint[], p_attempts int[]) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; n int;
BEGIN
    WITH r AS (
        UPDATE reel_jobs_live j SET state = 'available', attempt = j.attempt - 1, lease_expires_at = NULL, attempted_by = NULL
        WHERE j.id = ANY (p_ids) AND j.state = 'running'
          AND (j.id, j.attempt) IN (SELECT a.id, a.attempt FROM unnest(p_ids, p_attempts) AS a (id, attempt))
        RETURNING j.queue
    ) SELECT array_agg(DISTINCT queue), count(*) INTO v_queues, n FROM r;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    RETURN coalesce(n, 0);
END $$;

CREATE OR REPLACE FUNCTION reel_snooze(p_id bigint, p_attempt int, p_run_at timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reel_jobs_live SET state = 'scheduled', attempt = attempt - 1, run_at = p_run_at, lease_expires_at = NULL
    WHERE id = p_id AND attempt = p_attempt AND state = 'running';
    RETURN FOUND;
END $$;

CREATE OR REPLACE FUNCTION reel_finish_cancelled(p_id bigint, p_attempt int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE v_kind text;
BEGIN
    UPDATE reel_jobs_live SET cancel_reason = coalesce(cancel_reason, 'cancelled while running')
    WHERE id = p_id AND attempt = p_attempt AND state = 'running' RETURNING kind INTO v_kind;
    IF NOT FOUND THEN RETURN false; END IF;
    PERFORM reel_archive(ARRAY[p_id], NULL, '{running}', 'cancelled', NULL);
    PERFORM reel_cancel_dependents(ARRAY[p_id], format('parent job %s (%s) was cancelled', p_id, v_kind));
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION reel_cancel(p_ids bigint[], p_reason text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_now bigint[]; v_running bigint[];
BEGIN
    v_now := reel_archive(p_ids, NULL, '{pending,available,scheduled,retryable}', 'cancelled', p_reason);
    WITH r AS (
        UPDATE reel_jobs_live SET cancel_requested_at = now(), cancel_reason = p_reason
        WHERE id = ANY (p_ids) AND state = 'running' RETURNING id
    ) SELECT array_agg(id) INTO v_running FROM r;
    IF cardinality(v_now) > 0 THEN
        PERFORM reel_cancel_dependents(v_now, 'a parent job was cancelled: ' || p_reason);
    END IF;
    IF v_running IS NOT NULL THEN
        PERFORM pg_notify(reel_channel('reel_cancel'), id::text) FROM unnest(v_running) AS id;
    END IF;
    RETURN cardinality(v_now) + coalesce(cardinality(v_running), 0);
END $$;

-- Puts discarded, cancelled, retryable or scheduled jobs back to run now. The
-- attempt count and error history stay (the next run is attempt n+1); a job
-- whose attempts were spent gets one more. A finished job comes back from the
-- history, waiting again for those of its parents that are still live.
CREATE OR REPLACE FUNCTION reel_retry(p_ids bigint[]) RETURNS int LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE v_queues text[]; n int; v_back bigint[];
BEGIN
    WITH back AS (
        DELETE FROM reel_jobs_history h WHERE h.id = ANY (p_ids) AND h.state IN ('discarded', 'cancelled') RETURNING h.*
    ), restored AS (
        INSERT INTO reel_jobs_live (id, kind, queue, tenant, args, state, priority, fair_seq, attempt, max_attempts, run_at,
                                    attempted_by, attempted_at, errors, unique_key, parent_ids, pending_parents, created_at, meta)
        SELECT b.id, b.kind, b.queue, b.tenant, b.args,
               CASE WHEN l.n > 0 THEN 'pending'::reel_job_state ELSE 'available'::reel_job_state END,
               b.priority, b.fair_seq, b.attempt, greatest(b.max_attempts, b.attempt + 1), now(),
               b.attempted_by, b.attempted_at, b.errors, b.unique_key, b.parent_ids, l.n, b.created_at, b.meta
        -- Parents still live, or coming back in this same retry.
        FROM back b, LATERAL (SELECT ((SELECT count(*) FROM reel_jobs_live p WHERE p.id = ANY (b.parent_ids))
                                      + (SELECT count(*) FROM back p WHERE p.id = ANY (b.parent_ids)))::int AS n) l
        RETURNING id
    ) SELECT array_agg(id) INTO v_back FROM restored;
    IF v_back IS NOT NULL THEN
        INSERT INTO reel_job_deps (parent_id, child_id)
        SELECT p.id, c.id FROM reel_jobs_live c JOIN reel_jobs_live p ON p.id = ANY (c.parent_ids)
        WHERE c.id = ANY (v_back) ON CONFLICT DO NOTHING;
    END IF;
    WITH r AS (
        UPDATE reel_jobs_live SET state = CASE WHEN pending_parents > 0 THEN 'pending'::reel_job_state ELSE 'available'::reel_job_state END,
                                  max_attempts = greatest(max_attempts, attempt + 1), run_at = now(),
                                  cancel_requested_at = NULL, cancel_reason = NULL, lease_expires_at = NULL
        WHERE id = ANY (p_ids) AND (state IN ('retryable', 'scheduled') OR id = ANY (coalesce(v_back, '{}')))
        RETURNING queue
    ) SELECT array_agg(DISTINCT queue), count(*) INTO v_queues, n FROM r;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    RETURN coalesce(n, 0);
END $$;

CREATE OR REPLACE FUNCTION reel_promote(p_limit int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; n int;
BEGIN
    WITH p AS (
        UPDATE reel_jobs_live j SET state = 'available'
        WHERE j.id = ANY (ARRAY(
            SELECT id FROM reel_jobs_live WHERE state IN ('scheduled', 'retryable') AND run_at <= now()
            ORDER BY run_at LIMIT p_limit FOR UPDATE SKIP LOCKED))
        RETURNING j.queue
    ) SELECT array_agg(DISTINCT queue), count(*) INTO v_queues, n FROM p;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    RETURN coalesce(n, 0);
END $$;

CREATE OR REPLACE FUNCTION reel_rescue(p_limit int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; v_cancelled bigint[]; v_discarded bigint[]; n int;
BEGIN
    WITH r AS (
        UPDATE reel_jobs_live j
        SET state = CASE WHEN j.cancel_requested_at IS NOT NULL OR j.attempt >= j.max_attempts THEN j.state
                         ELSE 'available'::reel_job_state END,
            errors = j.errors || jsonb_build_object('attempt', j.attempt, 'at', now(), 'worker', j.attempted_by,
                'message', format('lease expired at %s: worker %s stopped renewing it (crashed or was killed)',
                                  j.lease_expires_at, j.attempted_by), 'permanent', false),
            lease_expires_at = NULL, run_at = now()
        WHERE j.id = ANY (ARRAY(
            SELECT id FROM reel_jobs_live WHERE state = 'running' AND lease_expires_at < now()
            ORDER BY lease_expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED))
        RETURNING j.id, j.queue, j.state, j.cancel_requested_at IS NOT NULL AS cancel
    )
    SELECT array_agg(DISTINCT queue) FILTER (WHERE state = 'available'),
           array_agg(id) FILTER (WHERE state <> 'available' AND cancel),
           array_agg(id) FILTER (WHERE state <> 'available' AND NOT cancel), count(*)
    INTO v_queues, v_cancelled, v_discarded, n FROM r;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    IF v_cancelled IS NOT NULL THEN PERFORM reel_archive(v_cancelled, NULL, '{running}', 'cancelled', NULL); END IF;
    IF v_discarded IS NOT NULL THEN PERFORM reel_archive(v_discarded, NULL, '{running}', 'discarded', NULL); END IF;
    IF v_cancelled IS NOT NULL OR v_discarded IS NOT NULL THEN
        PERFORM reel_cancel_dependents(coalesce(v_cancelled, '{}') || coalesce(v_discarded, '{}'),
                                       'a parent job was discarded or cancelled after its worker died');
    END IF;
    RETURN coalesce(n, 0);
END $$;

-- Scheduler safety net, once per pruning round: pending jobs none of whose
-- parents is still live (a parent pruned or completed in an unforeseen order)
-- become available. Each pending job's parents are read by the index.
CREATE OR REPLACE FUNCTION reel_repair_pending() RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; n int;
BEGIN
    WITH u AS (
        UPDATE reel_jobs_live j SET state = 'available', pending_parents = 0, run_at = greatest(j.run_at, now())
        WHERE j.id = ANY (ARRAY(
            SELECT c.id FROM reel_jobs_live c WHERE c.state = 'pending'
            AND NOT EXISTS (SELECT 1 FROM reel_job_deps d WHERE d.child_id = c.id
                            AND EXISTS (SELECT 1 FROM reel_jobs_live p WHERE p.id = d.parent_id) OFFSET 0)
            FOR UPDATE SKIP LOCKED))
        RETURNING j.queue
    ) SELECT array_agg(DISTINCT queue), count(*) INTO v_queues, n FROM u;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    RETURN coalesce(n, 0);
END $$;

-- What already finished moves now (into the default partitions, until the
-- scheduler's first round makes partitions of its configured width and moves
-- the rows of their ranges in); then the live table holds only live jobs.
WITH gone AS (
    DELETE FROM reel_jobs_live WHERE state IN ('completed', 'discarded', 'cancelled') RETURNING *
)
INSERT INTO reel_jobs_history (id, kind, queue, tenant, args, state, priority, fair_seq, attempt, max_attempts, run_at,
                               lease_expires_at, attempted_by, attempted_at, errors, unique_key, parent_ids, pending_parents,
                               cancel_requested_at, cancel_reason, created_at, finalized_at, meta)
SELECT id, kind, queue, tenant, args, state, priority, fair_seq, attempt, max_attempts, run_at,
       NULL, attempted_by, attempted_at, errors, unique_key, parent_ids, pending_parents,
       cancel_requested_at, cancel_reason, created_at, coalesce(finalized_at, now()), meta
FROM gone;
ALTER TABLE reel_jobs_live VALIDATE CONSTRAINT reel_jobs_live_unfinished;
