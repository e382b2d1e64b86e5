-- The durable job queue: jobs, their dependencies, queue settings, leaders,
-- periodic jobs. Read docs/job-lifecycle.md for the states and transitions.

CREATE TYPE reel_job_state AS ENUM (
    'pending',    -- waits for parent jobs to complete
    'available',  -- may run now
    'scheduled',  -- may run at run_at
    'running',    -- a worker holds it (lease_expires_at)
    'completed',
    'retryable',  -- failed; runs again at run_at
    'discarded',  -- failed permanently or attempts spent
    'cancelled'
);

-- Per-queue settings that hold across every worker process.
CREATE TABLE reel_queues (
    name            text PRIMARY KEY,
    global_limit    int CHECK (global_limit > 0),           -- running jobs, all workers together
    rate_per_second double precision CHECK (rate_per_second > 0),
    rate_burst      double precision CHECK (rate_burst >= 1),
    tokens          double precision NOT NULL DEFAULT 0,    -- token bucket for the rate limit
    refilled_at     timestamptz NOT NULL DEFAULT now(),
    paused          boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reel_jobs (
    id                  bigserial PRIMARY KEY,
    kind                text NOT NULL CHECK (kind <> ''),
    queue               text NOT NULL DEFAULT 'default' CHECK (queue <> ''),
    tenant              text NOT NULL DEFAULT '',
    args                jsonb NOT NULL DEFAULT '{}',
    state               reel_job_state NOT NULL DEFAULT 'available',
    priority            smallint NOT NULL DEFAULT 0,        -- lower runs first
    fair_seq            bigint NOT NULL DEFAULT 0,          -- fair-share order across tenants
    attempt             int NOT NULL DEFAULT 0,
    max_attempts        int NOT NULL DEFAULT 20 CHECK (max_attempts > 0),
    run_at              timestamptz NOT NULL DEFAULT now(),
    lease_expires_at    timestamptz,
    attempted_by        text,
    attempted_at        timestamptz,
    errors              jsonb NOT NULL DEFAULT '[]',        -- one entry per failed attempt
    unique_key          text,
    parent_ids          bigint[] NOT NULL DEFAULT '{}',
    pending_parents     int NOT NULL DEFAULT 0,
    cancel_requested_at timestamptz,
    cancel_reason       text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    finalized_at        timestamptz,
    meta                jsonb NOT NULL DEFAULT '{}'
);

-- Fetch: the next jobs of a queue by priority, then fair-share order.
CREATE INDEX reel_jobs_fetch ON reel_jobs (queue, priority, fair_seq, id) WHERE state = 'available';
-- Fair share: a tenant's last waiting job.
CREATE INDEX reel_jobs_tenant ON reel_jobs (queue, tenant, fair_seq) WHERE state = 'available';
-- Leases to rescue, and running counts for global limits.
CREATE INDEX reel_jobs_running ON reel_jobs (queue, lease_expires_at) WHERE state = 'running';
-- Scheduled and retryable jobs whose time has come.
CREATE INDEX reel_jobs_due ON reel_jobs (run_at) WHERE state IN ('scheduled', 'retryable');
-- Pruning and recent-history reports.
CREATE INDEX reel_jobs_pending ON reel_jobs (id) WHERE state = 'pending';
-- Pruning and recent-history reports.
CREATE INDEX reel_jobs_finalized ON reel_jobs (finalized_at) WHERE finalized_at IS NOT NULL;
-- One live job per unique key; a discarded or cancelled one frees the key.
CREATE UNIQUE INDEX reel_jobs_unique ON reel_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state NOT IN ('discarded', 'cancelled');

-- Edges of the dependency graph: child waits for parent.
CREATE TABLE reel_job_deps (
    parent_id bigint NOT NULL,
    child_id  bigint NOT NULL REFERENCES reel_jobs (id) ON DELETE CASCADE,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX reel_job_deps_child ON reel_job_deps (child_id);

-- Leader election for the scheduler (and anything else that needs one leader).
CREATE TABLE reel_leaders (
    name       text PRIMARY KEY,
    leader_id  text NOT NULL,
    elected_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Periodic jobs, enqueued by the leading scheduler from cron expressions.
CREATE TABLE reel_periodic_jobs (
    name        text PRIMARY KEY,
    cron        text NOT NULL,
    kind        text NOT NULL,
    queue       text NOT NULL DEFAULT 'default',
    args        jsonb NOT NULL DEFAULT '{}',
    enabled     boolean NOT NULL DEFAULT true,
    next_run_at timestamptz,
    last_job_id bigint
);

-- Channels are per schema so that several Reel installations (or test schemas)
-- can share one database without waking each other.
-- Hot-path helpers are PL/pgSQL, not SQL functions: PostgreSQL re-plans a
-- non-inlined SQL function on every call (about 1 ms here), while PL/pgSQL
-- keeps its plans for the session.
CREATE FUNCTION reel_channel(p_name text) RETURNS text LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN current_schema() || '.' || p_name; END $$;

-- Wakes the workers of queues that just got available jobs.
CREATE FUNCTION reel_notify_queues(p_queues text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_channel text := reel_channel('reel_jobs'); q text;
BEGIN
    FOR q IN SELECT DISTINCT unnest(p_queues) LOOP
        PERFORM pg_notify(v_channel, q);
    END LOOP;
END $$;

CREATE FUNCTION reel_jobs_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reel_notify_queues(array_agg(DISTINCT queue)) FROM inserted WHERE state = 'available';
    RETURN NULL;
END $$;

CREATE TRIGGER reel_jobs_notify AFTER INSERT ON reel_jobs
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION reel_jobs_after_insert();

-- The fair-share position of a new job: after the tenant's own waiting jobs,
-- and no earlier than the job the queue would run next. A tenant that submits
-- 1,000 jobs gets positions v..v+999; another tenant's single job gets v, so it
-- runs after at most one of the burst, not after all of it.
CREATE FUNCTION reel_fair_base(p_queue text, p_tenant text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN greatest(
        coalesce((SELECT fair_seq FROM reel_jobs WHERE queue = p_queue AND state = 'available'
                  ORDER BY priority, fair_seq, id LIMIT 1), 0),
        coalesce((SELECT fair_seq + 1 FROM reel_jobs WHERE queue = p_queue AND tenant = p_tenant AND state = 'available'
                  ORDER BY fair_seq DESC LIMIT 1), 0));
END $$;

-- Cancels every pending job that (transitively) waits on p_ids.
CREATE FUNCTION reel_cancel_dependents(p_ids bigint[], p_reason text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
    WITH RECURSIVE d(id) AS (
        SELECT child_id FROM reel_job_deps WHERE parent_id = ANY (p_ids)
        UNION
        SELECT dep.child_id FROM reel_job_deps dep JOIN d ON dep.parent_id = d.id
    )
    UPDATE reel_jobs SET state = 'cancelled', finalized_at = now(), cancel_reason = p_reason
    WHERE id IN (SELECT id FROM d) AND state = 'pending';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Inserts one job, or returns the live job with the same unique key.
-- Parents are locked FOR SHARE so a parent cannot complete unseen between
-- reading its state and recording the dependency.
CREATE FUNCTION reel_insert_job(
    p_kind text, p_queue text, p_tenant text, p_args jsonb, p_priority smallint, p_max_attempts int,
    p_run_at timestamptz, p_unique_key text, p_parent_ids bigint[], p_meta jsonb
) RETURNS TABLE (id bigint, inserted boolean, state reel_job_state) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_state reel_job_state;
    v_pending int := 0;
    v_found int := 0;
    v_dead record;
    v_reason text;
    v_id bigint;
    v_parents bigint[] := coalesce(p_parent_ids, '{}');
BEGIN
    IF p_unique_key IS NOT NULL THEN
        RETURN QUERY SELECT j.id, false, j.state FROM reel_jobs j
            WHERE j.unique_key = p_unique_key AND j.state NOT IN ('discarded', 'cancelled');
        IF FOUND THEN RETURN; END IF;
    END IF;
    IF cardinality(v_parents) > 0 THEN
        PERFORM 1 FROM reel_jobs j WHERE j.id = ANY (v_parents) ORDER BY j.id FOR SHARE;
        SELECT count(*), count(*) FILTER (WHERE j.state <> 'completed') INTO v_found, v_pending
            FROM reel_jobs j WHERE j.id = ANY (v_parents);
        IF v_found < cardinality(ARRAY(SELECT DISTINCT unnest(v_parents))) THEN
            RAISE EXCEPTION 'a parent job does not exist: %', v_parents
                USING ERRCODE = 'foreign_key_violation', HINT = 'name jobs that exist (see reel jobs)';
        END IF;
        SELECT j.id, j.kind, j.state INTO v_dead FROM reel_jobs j
            WHERE j.id = ANY (v_parents) AND j.state IN ('discarded', 'cancelled') LIMIT 1;
        IF FOUND THEN
            v_reason := format('parent job %s (%s) was %s', v_dead.id, v_dead.kind, v_dead.state);
        END IF;
    END IF;
    v_state := CASE
        WHEN v_reason IS NOT NULL THEN 'cancelled'
        WHEN v_pending > 0 THEN 'pending'
        WHEN p_run_at > now() THEN 'scheduled'
        ELSE 'available' END;
    LOOP
        INSERT INTO reel_jobs AS j (kind, queue, tenant, args, state, priority, fair_seq, max_attempts, run_at,
                                    unique_key, parent_ids, pending_parents, meta, cancel_reason, finalized_at)
        VALUES (p_kind, p_queue, p_tenant, p_args, v_state, p_priority, reel_fair_base(p_queue, p_tenant),
                p_max_attempts, greatest(p_run_at, now()), p_unique_key, v_parents, v_pending, p_meta, v_reason,
                CASE WHEN v_reason IS NOT NULL THEN now() END)
        ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state NOT IN ('discarded', 'cancelled') DO NOTHING
        RETURNING j.id INTO v_id;
        IF v_id IS NOT NULL THEN
            IF v_pending > 0 THEN
                INSERT INTO reel_job_deps (parent_id, child_id)
                SELECT DISTINCT p.id, v_id FROM reel_jobs p WHERE p.id = ANY (v_parents) AND p.state <> 'completed';
            END IF;
            RETURN QUERY SELECT v_id, true, v_state;
            RETURN;
        END IF;
        -- Lost a race on the unique key: return the winner (it may have just
        -- been discarded, then try the insert again).
        RETURN QUERY SELECT j.id, false, j.state FROM reel_jobs j
            WHERE j.unique_key = p_unique_key AND j.state NOT IN ('discarded', 'cancelled');
        IF FOUND THEN RETURN; END IF;
    END LOOP;
END $$;

-- Claims up to p_limit available jobs of one queue for a worker, honouring the
-- queue's global concurrency limit, rate limit and pause. Limited queues
-- serialise their fetches on the queue's row so that the limit holds across
-- every worker process; unlimited queues take no lock at all. attempted_at is
-- the clock after the lock, not the transaction start, so it tells when the
-- job really started.
CREATE FUNCTION reel_fetch(p_queue text, p_worker text, p_limit int, p_lease interval)
RETURNS SETOF reel_jobs LANGUAGE plpgsql AS $$
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
            SELECT q.global_limit - count(*) INTO n FROM reel_jobs WHERE queue = p_queue AND state = 'running';
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
    WITH picked AS (
        SELECT j.id FROM reel_jobs j
        WHERE j.state = 'available' AND j.queue = p_queue
        ORDER BY j.priority, j.fair_seq, j.id
        LIMIT room
        FOR UPDATE SKIP LOCKED
    )
    UPDATE reel_jobs j
    SET state = 'running', attempt = j.attempt + 1, attempted_at = clock_timestamp(), attempted_by = p_worker,
        lease_expires_at = clock_timestamp() + p_lease
    FROM picked WHERE j.id = picked.id
    RETURNING j.*;
    IF q.rate_per_second IS NOT NULL THEN
        GET DIAGNOSTICS n = ROW_COUNT;
        UPDATE reel_queues SET tokens = v_tokens - n, refilled_at = clock_timestamp() WHERE name = p_queue;
    END IF;
END $$;

-- Makes pending children whose last parent just completed available.
CREATE FUNCTION reel_release_children(p_done bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_queues text[];
BEGIN
    WITH d AS (
        SELECT child_id, count(*)::int AS n FROM reel_job_deps WHERE parent_id = ANY (p_done) GROUP BY child_id
    ), u AS (
        UPDATE reel_jobs c
        SET pending_parents = c.pending_parents - d.n,
            state = CASE WHEN c.pending_parents - d.n > 0 THEN 'pending'::reel_job_state
                         WHEN c.run_at > now() THEN 'scheduled'::reel_job_state
                         ELSE 'available'::reel_job_state END,
            run_at = CASE WHEN c.pending_parents - d.n > 0 THEN c.run_at ELSE greatest(c.run_at, now()) END
        FROM d WHERE c.id = d.child_id AND c.state = 'pending'
        RETURNING c.queue, c.state
    )
    SELECT array_agg(DISTINCT queue) INTO v_queues FROM u WHERE state = 'available';
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
END $$;

-- Marks jobs completed (fenced by attempt, so a worker that lost its lease
-- cannot complete a job someone else now runs) and releases their children.
-- Two statements on purpose: the second sees dependencies committed while the
-- first waited for parent row locks.
CREATE FUNCTION reel_complete(p_ids bigint[], p_attempts int[]) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_done bigint[];
BEGIN
    WITH c AS (
        UPDATE reel_jobs j SET state = 'completed', finalized_at = now(), lease_expires_at = NULL
        FROM unnest(p_ids, p_attempts) AS a (id, attempt)
        WHERE j.id = a.id AND j.attempt = a.attempt AND j.state = 'running'
        RETURNING j.id
    )
    SELECT array_agg(id) INTO v_done FROM c;
    IF v_done IS NULL THEN RETURN 0; END IF;
    IF EXISTS (SELECT 1 FROM reel_job_deps WHERE parent_id = ANY (v_done)) THEN
        PERFORM reel_release_children(v_done);
    END IF;
    RETURN cardinality(v_done);
END $$;

-- Records a failed attempt: retryable at p_retry_at, or discarded when the
-- failure is permanent or the attempts are spent (then dependents are cancelled).
CREATE FUNCTION reel_fail(p_id bigint, p_attempt int, p_worker text, p_message text,
                          p_retry_at timestamptz, p_permanent boolean)
RETURNS reel_job_state LANGUAGE plpgsql AS $$
DECLARE v_state reel_job_state; v_kind text;
BEGIN
    UPDATE reel_jobs j
    SET errors = j.errors || jsonb_build_object('attempt', j.attempt, 'at', now(), 'worker', p_worker,
                                                'message', p_message, 'permanent', p_permanent),
        state = CASE WHEN p_permanent OR j.attempt >= j.max_attempts THEN 'discarded'::reel_job_state
                     ELSE 'retryable'::reel_job_state END,
        run_at = CASE WHEN p_permanent OR j.attempt >= j.max_attempts THEN j.run_at ELSE p_retry_at END,
        finalized_at = CASE WHEN p_permanent OR j.attempt >= j.max_attempts THEN now() END,
        lease_expires_at = NULL
    WHERE j.id = p_id AND j.attempt = p_attempt AND j.state = 'running'
    RETURNING j.state, j.kind INTO v_state, v_kind;
    IF v_state = 'discarded' THEN
        PERFORM reel_cancel_dependents(ARRAY[p_id], format('parent job %s (%s) was discarded: %s', p_id, v_kind, p_message));
    END IF;
    RETURN v_state;
END $$;

-- Puts a running job back to wait until p_run_at without spending an attempt.
CREATE FUNCTION reel_snooze(p_id bigint, p_attempt int, p_run_at timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reel_jobs SET state = 'scheduled', attempt = attempt - 1, run_at = p_run_at, lease_expires_at = NULL
    WHERE id = p_id AND attempt = p_attempt AND state = 'running';
    RETURN FOUND;
END $$;

-- Records that a running handler stopped because it was cancelled.
CREATE FUNCTION reel_finish_cancelled(p_id bigint, p_attempt int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE v_kind text;
BEGIN
    UPDATE reel_jobs SET state = 'cancelled', finalized_at = now(), lease_expires_at = NULL,
                         cancel_reason = coalesce(cancel_reason, 'cancelled while running')
    WHERE id = p_id AND attempt = p_attempt AND state = 'running' RETURNING kind INTO v_kind;
    IF NOT FOUND THEN RETURN false; END IF;
    PERFORM reel_cancel_dependents(ARRAY[p_id], format('parent job %s (%s) was cancelled', p_id, v_kind));
    RETURN true;
END $$;

-- Cancels jobs: waiting ones at once, running ones by asking their worker
-- (NOTIFY on the cancel channel); returns how many were affected.
CREATE FUNCTION reel_cancel(p_ids bigint[], p_reason text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_now bigint[]; v_running bigint[];
BEGIN
    WITH c AS (
        UPDATE reel_jobs SET state = 'cancelled', finalized_at = now(), cancel_reason = p_reason
        WHERE id = ANY (p_ids) AND state IN ('pending', 'available', 'scheduled', 'retryable') RETURNING id
    ) SELECT array_agg(id) INTO v_now FROM c;
    WITH r AS (
        UPDATE reel_jobs SET cancel_requested_at = now(), cancel_reason = p_reason
        WHERE id = ANY (p_ids) AND state = 'running' RETURNING id
    ) SELECT array_agg(id) INTO v_running FROM r;
    IF v_now IS NOT NULL THEN
        PERFORM reel_cancel_dependents(v_now, 'a parent job was cancelled: ' || p_reason);
    END IF;
    IF v_running IS NOT NULL THEN
        PERFORM pg_notify(reel_channel('reel_cancel'), id::text) FROM unnest(v_running) AS id;
    END IF;
    RETURN coalesce(cardinality(v_now), 0) + coalesce(cardinality(v_running), 0);
END $$;

-- Puts discarded, cancelled, retryable or scheduled jobs back to run now. The
-- attempt count and error history stay (the next run is attempt n+1); a job
-- whose attempts were spent gets one more.
CREATE FUNCTION reel_retry(p_ids bigint[]) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; n int;
BEGIN
    WITH r AS (
        UPDATE reel_jobs SET state = CASE WHEN pending_parents > 0 THEN 'pending'::reel_job_state ELSE 'available'::reel_job_state END,
                             max_attempts = greatest(max_attempts, attempt + 1), run_at = now(), finalized_at = NULL,
                             cancel_requested_at = NULL, cancel_reason = NULL, lease_expires_at = NULL
        WHERE id = ANY (p_ids) AND state IN ('discarded', 'cancelled', 'retryable', 'scheduled')
        RETURNING queue
    ) SELECT array_agg(DISTINCT queue), count(*) INTO v_queues, n FROM r;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    RETURN coalesce(n, 0);
END $$;

-- Scheduler: moves scheduled and retryable jobs whose time has come to available.
CREATE FUNCTION reel_promote(p_limit int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; n int;
BEGIN
    WITH due AS (
        SELECT id FROM reel_jobs WHERE state IN ('scheduled', 'retryable') AND run_at <= now()
        ORDER BY run_at LIMIT p_limit FOR UPDATE SKIP LOCKED
    ), p AS (
        UPDATE reel_jobs j SET state = 'available' FROM due WHERE j.id = due.id RETURNING j.queue
    ) SELECT array_agg(DISTINCT queue), count(*) INTO v_queues, n FROM p;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    RETURN coalesce(n, 0);
END $$;

-- Scheduler: jobs whose worker stopped renewing the lease (crashed, killed,
-- partitioned) run again at once; the lost attempt is recorded as an error and
-- counts, so a job that kills its worker every time ends discarded, not looping.
CREATE FUNCTION reel_rescue(p_limit int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; v_dead bigint[]; n int;
BEGIN
    WITH stuck AS (
        SELECT id FROM reel_jobs WHERE state = 'running' AND lease_expires_at < now()
        ORDER BY lease_expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED
    ), r AS (
        UPDATE reel_jobs j
        SET state = CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'::reel_job_state
                         WHEN j.attempt >= j.max_attempts THEN 'discarded'::reel_job_state
                         ELSE 'available'::reel_job_state END,
            errors = j.errors || jsonb_build_object('attempt', j.attempt, 'at', now(), 'worker', j.attempted_by,
                'message', format('lease expired at %s: worker %s stopped renewing it (crashed or was killed)',
                                  j.lease_expires_at, j.attempted_by), 'permanent', false),
            finalized_at = CASE WHEN j.cancel_requested_at IS NOT NULL OR j.attempt >= j.max_attempts THEN now() END,
            lease_expires_at = NULL, run_at = now()
        FROM stuck WHERE j.id = stuck.id
        RETURNING j.id, j.queue, j.state
    )
    SELECT array_agg(DISTINCT queue) FILTER (WHERE state = 'available'),
           array_agg(id) FILTER (WHERE state <> 'available'), count(*)
    INTO v_queues, v_dead, n FROM r;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    IF v_dead IS NOT NULL THEN PERFORM reel_cancel_dependents(v_dead, 'a parent job was discarded or cancelled after its worker died'); END IF;
    RETURN coalesce(n, 0);
END $$;

-- Scheduler safety net: pending jobs whose parents all completed (a parent
-- pruned or completed in an unforeseen order) become available.
CREATE FUNCTION reel_repair_pending() RETURNS int LANGUAGE plpgsql AS $$
DECLARE v_queues text[]; n int;
BEGIN
    WITH ready AS (
        SELECT c.id FROM reel_jobs c WHERE c.state = 'pending'
        AND NOT EXISTS (SELECT 1 FROM reel_job_deps d JOIN reel_jobs p ON p.id = d.parent_id
                        WHERE d.child_id = c.id AND p.state <> 'completed')
        FOR UPDATE SKIP LOCKED
    ), u AS (
        UPDATE reel_jobs j SET state = 'available', pending_parents = 0, run_at = greatest(j.run_at, now())
        FROM ready WHERE j.id = ready.id RETURNING j.queue
    ) SELECT array_agg(DISTINCT queue), count(*) INTO v_queues, n FROM u;
    IF v_queues IS NOT NULL THEN PERFORM reel_notify_queues(v_queues); END IF;
    RETURN coalesce(n, 0);
END $$;
