import Foundation
import Testing
import ReelTesting

/// Every hot statement of the queue stays bound to an index whatever the
/// tables hold and whatever the statistics say (issue 12): a history of
/// 120,000 finished jobs, a live backlog of 100,000 (20,000 of them waiting
/// on a parent), statistics taken while
/// the live table was empty, and both the plans PL/pgSQL makes first (custom)
/// and the one it keeps (generic). The plans are PostgreSQL's own, of the
/// statements inside the functions as they run (auto_explain with nested
/// statements, sent to psql as notices); the test reads their shape, never
/// their timing.
@Suite struct StatementPlanTests {
    @Test func hotStatementsUseIndexesWithAHugeHistoryAndStaleStatistics() async throws {
        try await TestDatabase.withFresh { db in
            let setup = """
                /* setup */ SELECT reel_history_maintain('1 hour', '24 hours', '168 hours');
                /* setup */ INSERT INTO reel_jobs_history (kind, queue, state, attempt, finalized_at, unique_key)
                    SELECT 'noop', 'old', 'completed', 1, now(), 'old:' || g FROM generate_series(1, 100000) g;
                /* setup */ INSERT INTO reel_jobs_history (kind, queue, state, attempt, finalized_at)
                    SELECT 'noop', 'old', 'discarded', 1, now() FROM generate_series(1, 20000) g;
                /* setup */ ALTER TABLE reel_jobs_live SET (autovacuum_enabled = false);
                /* setup */ ANALYZE reel_jobs_live, reel_jobs_history, reel_job_deps;
                /* setup */ INSERT INTO reel_jobs_live (kind, queue, state, fair_seq)
                    SELECT 'noop', 'bulk', 'available', g FROM generate_series(1, 60000) g;
                /* setup */ INSERT INTO reel_jobs_live (kind, queue, state, run_at)
                    SELECT 'noop', 'bulk', 'scheduled', now() + interval '1 hour' FROM generate_series(1, 20000) g;
                /* setup */ WITH parents AS (SELECT id, row_number() OVER (ORDER BY id DESC) AS n FROM reel_jobs_live WHERE state = 'available' ORDER BY id DESC LIMIT 20000),
                    children AS (INSERT INTO reel_jobs_live (kind, queue, state, pending_parents, parent_ids)
                                 SELECT 'noop', 'waiting', 'pending', 1, ARRAY[p.id] FROM parents p ORDER BY p.n RETURNING id, parent_ids)
                    INSERT INTO reel_job_deps (parent_id, child_id) SELECT parent_ids[1], id FROM children;
                /* setup */ INSERT INTO reel_queues (name, global_limit) VALUES ('limited', 5);
                /* setup */ INSERT INTO reel_queues (name, rate_per_second) VALUES ('rated', 1000);
                /* setup */ INSERT INTO reel_jobs_live (kind, queue) SELECT 'noop', q FROM unnest(ARRAY['limited', 'rated']) q, generate_series(1, 50);
                /* setup */ SELECT count(*) FROM reel_fetch('bulk', 'setup', 2000, '30 seconds');
                LOAD 'auto_explain';
                SET auto_explain.log_min_duration = 0;
                SET auto_explain.log_nested_statements = on;
                SET auto_explain.log_level = notice;
                SET client_min_messages = notice;
                """
            var script = setup
            // Each mode is forced, so one round of calls shows the plan PL/pgSQL uses in it.
            for mode in ["force_custom_plan", "force_generic_plan"] {
                script += "SET plan_cache_mode = \(mode);\n" + Self.calls
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-plans-\(UUID().uuidString).sql")
            defer { try? FileManager.default.removeItem(at: file) }
            try script.write(to: file, atomically: true, encoding: .utf8)
            let run = try await ChildProcess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file.path, db.url])
            #expect(run.status == 0, "\(run.output.suffix(3000))")

            let plans = run.output.components(separatedBy: "NOTICE:  duration:").dropFirst().filter { !$0.contains("/* setup */") }
            #expect(plans.count > 50, "auto_explain said too little: \(run.output.suffix(2000))")
            // (A scan of an empty relation costs 0.00..0.00: the history's default and
            // future partitions. Functions that read the history plan each call.)
            let scans = plans.filter { plan in
                plan.components(separatedBy: "\n").contains { line in
                    (line.contains("Seq Scan on reel_jobs") || line.contains("Seq Scan on reel_job_deps")) && !line.contains("(cost=0.00..0.00 ")
                }
            }
            #expect(scans.isEmpty, "statements that scan a whole queue table:\n\(scans.prefix(3).joined(separator: "\n---\n"))")
            // A claim reads the queue in its order through reel_jobs_fetch and stops at the
            // limit; sorting the queue first would read all of it.
            let claims = plans.filter { $0.contains("LIMIT room") }
            #expect(!claims.isEmpty && claims.allSatisfy { $0.contains("reel_jobs_fetch") && !$0.contains("Sort Key") },
                    "claims: \(claims.prefix(2).joined(separator: "\n---\n"))")
            let text = plans.joined()
            for index in ["reel_jobs_pkey", "reel_jobs_fetch", "reel_jobs_tenant", "reel_jobs_running", "reel_jobs_lease", "reel_jobs_due",
                          "reel_jobs_unique", "reel_jobs_pending", "reel_job_deps_pkey", "reel_job_deps_child"] {
                #expect(text.contains(" \(index) "), "no plan used \(index)")
            }
            #expect(text.contains("unique_key_idx"), "the history's unique keys were not looked up by index")
        }
    }

    /// One round of every hot statement, with arguments found by psql (\gset)
    /// outside auto_explain's interest (the setup comment).
    static let calls = """
        /* setup */ SELECT array_agg(id) AS ids, array_agg(attempt) AS attempts FROM (SELECT id, attempt FROM reel_jobs_live WHERE state = 'running' AND queue = 'bulk' ORDER BY id LIMIT 3) r \\gset
        SELECT count(*) FROM reel_fetch('bulk', 'w', 10, '30 seconds');
        SELECT count(*) FROM reel_fetch('limited', 'w', 10, '30 seconds');
        SELECT count(*) FROM reel_fetch('rated', 'w', 10, '30 seconds');
        SELECT count(*) FROM reel_heartbeat(:'ids', :'attempts', '30 seconds');
        SELECT reel_complete(:'ids', :'attempts');
        /* setup */ SELECT id AS failing, attempt AS failing_attempt FROM reel_jobs_live WHERE state = 'running' AND queue = 'bulk' ORDER BY id LIMIT 1 \\gset
        SELECT reel_fail(:failing, :failing_attempt, 'w', 'boom', now() + interval '1 minute', false);
        /* setup */ SELECT id AS snoozing, attempt AS snoozing_attempt FROM reel_jobs_live WHERE state = 'running' AND queue = 'bulk' ORDER BY id LIMIT 1 \\gset
        SELECT reel_snooze(:snoozing, :snoozing_attempt, now() + interval '1 minute');
        /* setup */ SELECT id AS discarding, attempt AS discarding_attempt FROM reel_jobs_live WHERE state = 'running' AND queue = 'bulk' ORDER BY id LIMIT 1 \\gset
        SELECT reel_fail(:discarding, :discarding_attempt, 'w', 'fatal', now(), true);
        SELECT reel_retry(ARRAY[:discarding]::bigint[]);
        /* setup */ SELECT id AS releasing, attempt AS releasing_attempt FROM reel_jobs_live WHERE state = 'running' AND queue = 'bulk' ORDER BY id LIMIT 1 \\gset
        SELECT reel_release(ARRAY[:releasing]::bigint[], ARRAY[:releasing_attempt]::int[]);
        SELECT * FROM reel_insert_job('noop', 'bulk', 't1', '{}', 0::smallint, 5, now(), 'old:17', NULL, '{}');
        SELECT * FROM reel_insert_job('noop', 'bulk', 't1', '{}', 0::smallint, 5, now(), 'fresh:' || clock_timestamp(), NULL, '{}');
        /* setup */ SELECT id AS parent FROM reel_jobs_live WHERE state = 'available' AND queue = 'bulk' ORDER BY id DESC LIMIT 1 \\gset
        /* setup */ SELECT min(id) AS finished_parent FROM reel_jobs_history WHERE queue = 'old' AND state = 'completed' \\gset
        SELECT * FROM reel_insert_job('noop', 'bulk', 't2', '{}', 0::smallint, 5, now(), NULL, ARRAY[:parent, :finished_parent]::bigint[], '{}');
        SELECT reel_cancel(ARRAY[:parent]::bigint[], 'test');
        SELECT reel_promote(100);
        /* setup */ UPDATE reel_jobs_live SET lease_expires_at = now() - interval '1 second' WHERE id IN (SELECT id FROM reel_jobs_live WHERE state = 'running' AND queue = 'bulk' ORDER BY id LIMIT 2);
        SELECT reel_rescue(100);
        SELECT reel_repair_pending();
        SELECT reel_history_maintain('1 hour', '24 hours', '168 hours');

        """
}
