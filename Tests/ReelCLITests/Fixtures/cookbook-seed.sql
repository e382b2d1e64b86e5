-- Fixture rows for docs/sql-cookbook.md, loaded by SQLCookbookTests into a
-- freshly migrated schema. Every timestamp is relative to now(), so "the last
-- hour" and "the last 24 hours" hold whenever the test runs.
--
-- "Today" depends on the session's time zone. So that it always holds too,
-- the first statement moves this session to a fixed UTC offset at which the
-- local time is between 12:00 and 13:00: today then began 12 to 13 hours ago,
-- rows at now() - 3 hours are today, and rows at midnight - 2 hours are
-- yesterday, at any hour of the real day. Run the cookbook's queries in the
-- same session as this file (psql: one session, or the test's one connection).
--
-- The story: three tenants (acme, globex, initech) upload into the home region
-- us-east, which replicates to eu-west and ap-south (ap-south is flaky). Edges
-- use-1 and euw-1 are enabled (euw-1 restarted 25 minutes ago), aps-1 is
-- disabled. Worker media-2:4242:k3j9x died two minutes ago holding two jobs,
-- and no scheduler has led for five minutes, so nothing rescued them.
--
-- Legend of the ids (what each query must include, and what it must exclude):
--   acmeFail01     acme, not a video: ingest discarded today (Q1)
--   acmeStuck02    acme, uploaded yesterday, transcode discarded today after 5 attempts (Q1, Q9)
--   acmeOld03      acme, failed yesterday (excluded from Q1)
--   globexFail04   globex, failed today (excluded from Q1: another tenant)
--   acmeGone05     acme, deleted 40 minutes ago; played before that (excluded from Q6, Q7)
--   acmeReady06/07, globexReady11: ready within the hour (Q2, Q3, Q7)
--   acmeReady08    ready 3 hours ago (Q3; excluded from Q2)
--   acmeReady09    playable, not ready yet (Q3; excluded from Q9)
--   acmeOld10      uploaded 30 hours ago (excluded from Q3, played in Q7)
--   globexReady12  ready 6 hours ago; played 2 hours ago only (Q3; excluded from Q7)
--   initechStuck13/14/16: not playable after 10+ minutes (Q9)
--   globexNew15    processing, uploaded 3 minutes ago (excluded from Q9)
--   globexGone17   deleted yesterday; its purge on aps-1 was discarded (Q10)

SELECT set_config('TimeZone', (12 - extract(hour FROM now() AT TIME ZONE 'UTC'))::int::text, false);

INSERT INTO edges (name, region, url, capacity_bytes, enabled, healthy, checked_at, created_at) VALUES
    ('use-1', 'us-east', 'http://10.0.1.10:6081', 8589934592, true, true, now() - interval '1 minute', now() - interval '30 days'),
    ('euw-1', 'eu-west', 'http://10.0.2.10:6081', 8589934592, true, true, now() - interval '1 minute', now() - interval '30 days'),
    ('aps-1', 'ap-south', 'http://10.0.3.10:6081', 4294967296, false, false, now() - interval '2 hours', now() - interval '30 days');

-- Videos. Objects are named sha256('<video>/<role>'): source, poster, sprite,
-- init, seg0, seg1. Sizes: posters 100 000 bytes, sprites 400 000, init
-- segments 1 000, media segments 1 000 000.
INSERT INTO videos (id, owner, title, status, home_region, source_digest, source_size, content_type, duration_s, width, height,
                    poster_digest, sprite_digest, error, created_at, playable_at, ready_at, failed_at, deleted_at, updated_at)
SELECT v.id, v.owner, v.title, v.status::video_status, 'us-east', encode(sha256((v.id || '/source')::bytea), 'hex'), v.size, 'video/mp4',
       CASE WHEN v.playable_s IS NOT NULL THEN 4.0 END, CASE WHEN v.playable_s IS NOT NULL THEN 360 END,
       CASE WHEN v.playable_s IS NOT NULL THEN 640 END,
       CASE WHEN v.ready_s IS NOT NULL THEN encode(sha256((v.id || '/poster')::bytea), 'hex') END,
       CASE WHEN v.ready_s IS NOT NULL THEN encode(sha256((v.id || '/sprite')::bytea), 'hex') END,
       v.error, v.created_at, v.created_at + v.playable_s * interval '1 second', v.created_at + v.ready_s * interval '1 second',
       v.failed_at, v.deleted_at, coalesce(v.deleted_at, v.failed_at, v.created_at + coalesce(v.ready_s, v.playable_s, 0) * interval '1 second')
FROM (VALUES
    ('acmeFail01', 'acme', 'cat.mov', 'failed', 2000000::bigint, now() - interval '3 hours', NULL::int, NULL::int,
     now() - interval '3 hours' + interval '3 seconds', NULL::timestamptz, 'not a video: the upload has no video stream'),
    ('acmeStuck02', 'acme', 'keynote.mp4', 'processing', 30000000, date_trunc('day', now()) - interval '3 hours', NULL, NULL,
     NULL, NULL, NULL),
    ('acmeOld03', 'acme', 'broken.mp4', 'failed', 1000000, date_trunc('day', now()) - interval '4 hours', NULL, NULL,
     date_trunc('day', now()) - interval '4 hours' + interval '2 seconds', NULL, 'truncated: moov atom not found'),
    ('globexFail04', 'globex', 'promo.mp4', 'failed', 5000000, now() - interval '4 hours', NULL, NULL,
     now() - interval '4 hours' + interval '20 seconds', NULL, 'decoding failed: corrupt frame at 00:00:03'),
    ('acmeGone05', 'acme', 'leak.mp4', 'deleted', 90000000, date_trunc('day', now()) - interval '2 hours', 5, 50,
     NULL, now() - interval '40 minutes', NULL),
    ('acmeReady06', 'acme', 'launch.mp4', 'ready', 20000000, now() - interval '30 minutes', 4, 60, NULL, NULL, NULL),
    ('acmeReady07', 'acme', 'teaser.mp4', 'ready', 20000000, now() - interval '49 minutes 30 seconds', 6, 90, NULL, NULL, NULL),
    ('acmeReady08', 'acme', 'demo.mp4', 'ready', 20000000, now() - interval '3 hours', 8, 120, NULL, NULL, NULL),
    ('acmeReady09', 'acme', 'live-recap.mp4', 'playable', 10000000, now() - interval '5 minutes', 40, NULL, NULL, NULL, NULL),
    ('acmeOld10', 'acme', 'evergreen.mp4', 'ready', 40000000, now() - interval '30 hours', 100, 200, NULL, NULL, NULL),
    ('globexReady11', 'globex', 'ad-spot.mp4', 'ready', 50000000, now() - interval '40 minutes', 3, 30, NULL, NULL, NULL),
    ('globexReady12', 'globex', 'how-to.mp4', 'ready', 60000000, now() - interval '6 hours', 5, 50, NULL, NULL, NULL),
    ('initechStuck13', 'initech', 'tps-report.mp4', 'uploaded', 8000000, now() - interval '25 minutes', NULL, NULL, NULL, NULL, NULL),
    ('initechStuck14', 'initech', 'all-hands.mp4', 'processing', 8000000, now() - interval '15 minutes', NULL, NULL, NULL, NULL, NULL),
    ('globexNew15', 'globex', 'fresh.mp4', 'processing', 4000000, now() - interval '3 minutes', NULL, NULL, NULL, NULL, NULL),
    ('initechStuck16', 'initech', 'printer.mp4', 'processing', 8000000, now() - interval '45 minutes', NULL, NULL, NULL, NULL, NULL),
    ('globexGone17', 'globex', 'oops.mp4', 'deleted', 3000000, date_trunc('day', now()) - interval '3 hours', 5, 40,
     NULL, date_trunc('day', now()) - interval '1 hour', NULL)
) AS v (id, owner, title, status, size, created_at, playable_s, ready_s, failed_at, deleted_at, error);

-- One 360p rendition per playable or ready video (deleted videos lost theirs);
-- two segments when ready, one while playable.
INSERT INTO renditions (video_id, name, kind, codecs, width, height, frame_rate, bandwidth, average_bandwidth, timescale, init_digest,
                        complete, created_at)
SELECT id, '360p', 'video', 'avc1.64001e', 360, 640, 30, 4000000, 3800000, 90000, encode(sha256((id || '/init')::bytea), 'hex'),
       status = 'ready', created_at + interval '2 seconds'
FROM videos WHERE status IN ('playable', 'ready');

INSERT INTO segments (video_id, rendition, number, start_time, duration, bytes, digest, created_at)
SELECT v.id, '360p', n, n * 180000, 180000, 1000000, encode(sha256((v.id || '/seg' || n)::bytea), 'hex'), v.created_at + interval '3 seconds'
FROM videos v CROSS JOIN generate_series(0, 1) AS n
WHERE v.status = 'ready' OR (v.status = 'playable' AND n = 0);

-- Home copies (us-east) of every object of every live video, as the publishing
-- jobs record them ...
INSERT INTO object_replicas (digest, region, state, bytes, attempts, created_at, verified_at)
SELECT o.digest, 'us-east', 'verified',
       CASE o.role WHEN 'source' THEN v.source_size WHEN 'poster' THEN 100000 WHEN 'sprite' THEN 400000 WHEN 'init' THEN 1000 ELSE 1000000 END,
       1, v.created_at, v.created_at
FROM video_objects o JOIN videos v ON v.id = o.video_id;

-- ... and the objects of deleted videos that garbage collection has not removed yet.
INSERT INTO object_replicas (digest, region, state, bytes, attempts, created_at, verified_at) VALUES
    (encode(sha256('acmeGone05/source'::bytea), 'hex'), 'us-east', 'verified', 90000000, 1, now() - interval '26 hours', now() - interval '26 hours'),
    (encode(sha256('acmeGone05/source'::bytea), 'hex'), 'eu-west', 'verified', 90000000, 1, now() - interval '26 hours', now() - interval '26 hours'),
    (encode(sha256('acmeGone05/seg0'::bytea), 'hex'), 'us-east', 'verified', 1000000, 1, now() - interval '26 hours', now() - interval '26 hours');

-- Replicas: every object of the video verified in the region `lag` seconds
-- after the video turned ready (the last copy; the source went first).
INSERT INTO object_replicas (digest, region, state, bytes, attempts, created_at, verified_at)
SELECT o.digest, r.region, 'verified',
       CASE o.role WHEN 'source' THEN v.source_size WHEN 'poster' THEN 100000 WHEN 'sprite' THEN 400000 WHEN 'init' THEN 1000 ELSE 1000000 END,
       1, v.ready_at, v.ready_at + CASE WHEN o.role = 'source' THEN 1 ELSE r.lag END * interval '1 second'
FROM (VALUES
    ('acmeReady06', 'eu-west', 12), ('acmeReady06', 'ap-south', 40),
    ('acmeReady07', 'eu-west', 20),
    ('acmeReady08', 'eu-west', 500), ('acmeReady08', 'ap-south', 30),
    ('acmeOld10', 'eu-west', 15), ('acmeOld10', 'ap-south', 25),
    ('globexReady11', 'eu-west', 8),
    ('globexReady12', 'eu-west', 9), ('globexReady12', 'ap-south', 14)
) AS r (video_id, region, lag)
JOIN videos v ON v.id = r.video_id
JOIN video_objects o ON o.video_id = r.video_id;

-- ap-south is flaky: acmeReady07 has 4 of its 6 objects there (seg0 failed,
-- seg1 still pending); globexReady11's first copy failed and nothing is there yet.
INSERT INTO object_replicas (digest, region, state, bytes, attempts, error, created_at, verified_at)
SELECT o.digest, 'ap-south',
       CASE WHEN o.digest = encode(sha256('acmeReady07/seg0'::bytea), 'hex') THEN 'failed'::replica_state
            WHEN o.digest = encode(sha256('acmeReady07/seg1'::bytea), 'hex') THEN 'pending'::replica_state
            ELSE 'verified'::replica_state END,
       CASE WHEN o.role IN ('source', 'poster', 'sprite', 'init') THEN
            CASE o.role WHEN 'source' THEN v.source_size WHEN 'poster' THEN 100000 WHEN 'sprite' THEN 400000 ELSE 1000 END END,
       CASE WHEN o.digest = encode(sha256('acmeReady07/seg0'::bytea), 'hex') THEN 2
            WHEN o.digest = encode(sha256('acmeReady07/seg1'::bytea), 'hex') THEN 0 ELSE 1 END,
       CASE WHEN o.digest = encode(sha256('acmeReady07/seg0'::bytea), 'hex') THEN 'ap-south: 503 Service Unavailable' END,
       v.ready_at,
       CASE WHEN o.role IN ('source', 'poster', 'sprite', 'init') THEN v.ready_at + interval '30 seconds' END
FROM video_objects o JOIN videos v ON v.id = o.video_id
WHERE o.video_id = 'acmeReady07';

INSERT INTO object_replicas (digest, region, state, attempts, error, created_at)
SELECT o.digest, 'ap-south', CASE WHEN o.role = 'source' THEN 'failed'::replica_state ELSE 'pending'::replica_state END,
       CASE WHEN o.role = 'source' THEN 1 ELSE 0 END,
       CASE WHEN o.role = 'source' THEN 'ap-south: connection refused' END, v.ready_at
FROM video_objects o JOIN videos v ON v.id = o.video_id
WHERE o.video_id = 'globexReady11';

-- The jobs. Most video.* jobs carry tenant '' (enqueued without one) and
-- initechStuck13's carry 'initech': the queries go by videos.owner, right for
-- both. edge.warm jobs from the trigger carry the video's owner, replicate none.
-- Written once, then each job goes where it lives: reel_jobs_live or reel_jobs_history.
CREATE TEMPORARY TABLE seed_jobs (LIKE reel_jobs_live INCLUDING DEFAULTS);
INSERT INTO seed_jobs (id, kind, queue, tenant, args, state, attempt, max_attempts, run_at, attempted_at, attempted_by, lease_expires_at,
                       errors, unique_key, parent_ids, pending_parents, cancel_reason, created_at, finalized_at)
VALUES
    -- acmeFail01: not a video; ingest failed permanently, the rest cancelled.
    (101, 'video.ingest', 'media', '', '{"video": "acmeFail01"}', 'discarded', 1, 5,
     now() - interval '3 hours', now() - interval '3 hours' + interval '1 second', 'media-1:3141:a8k2p', NULL,
     jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now() - interval '3 hours' + interval '3 seconds', 'worker', 'media-1:3141:a8k2p',
                                          'message', 'not a video: the upload has no video stream', 'permanent', true)),
     'video.ingest:acmeFail01', '{}', 0, NULL, now() - interval '3 hours', now() - interval '3 hours' + interval '3 seconds'),
    (102, 'video.transcode', 'media', '', '{"video": "acmeFail01"}', 'cancelled', 0, 5,
     now() - interval '3 hours', NULL, NULL, NULL, '[]', 'video.transcode:acmeFail01', '{101}', 1,
     'parent job 101 (video.ingest) was discarded: not a video: the upload has no video stream',
     now() - interval '3 hours', now() - interval '3 hours' + interval '3 seconds'),
    (103, 'video.package', 'media', '', '{"video": "acmeFail01"}', 'cancelled', 0, 5,
     now() - interval '3 hours', NULL, NULL, NULL, '[]', 'video.package:acmeFail01', '{102}', 1,
     'parent job 101 (video.ingest) was discarded: not a video: the upload has no video stream',
     now() - interval '3 hours', now() - interval '3 hours' + interval '3 seconds'),
    -- acmeStuck02: uploaded yesterday; the home store refused every transcode attempt, the last one today.
    (104, 'video.ingest', 'media', '', '{"video": "acmeStuck02"}', 'completed', 1, 5,
     date_trunc('day', now()) - interval '3 hours', date_trunc('day', now()) - interval '3 hours' + interval '1 second', 'media-1:3141:a8k2p',
     NULL, '[]', 'video.ingest:acmeStuck02', '{}', 0, NULL,
     date_trunc('day', now()) - interval '3 hours', date_trunc('day', now()) - interval '3 hours' + interval '4 seconds'),
    (105, 'video.transcode', 'media', '', '{"video": "acmeStuck02"}', 'discarded', 5, 5,
     now() - interval '2 hours', now() - interval '2 hours' + interval '1 second', 'media-1:3141:a8k2p', NULL,
     jsonb_build_array(
         jsonb_build_object('attempt', 1, 'at', date_trunc('day', now()) - interval '3 hours' + interval '10 seconds', 'worker', 'media-1:3141:a8k2p',
                            'message', 'region us-east: connection refused (store unavailable)', 'permanent', false),
         jsonb_build_object('attempt', 2, 'at', date_trunc('day', now()) - interval '2 hours', 'worker', 'media-1:3141:a8k2p',
                            'message', 'region us-east: connection refused (store unavailable)', 'permanent', false),
         jsonb_build_object('attempt', 3, 'at', date_trunc('day', now()) - interval '1 hour', 'worker', 'media-1:3141:a8k2p',
                            'message', 'region us-east: connection refused (store unavailable)', 'permanent', false),
         jsonb_build_object('attempt', 4, 'at', now() - interval '5 hours', 'worker', 'media-1:3141:a8k2p',
                            'message', 'region us-east: 503 Slow Down', 'permanent', false),
         jsonb_build_object('attempt', 5, 'at', now() - interval '2 hours' + interval '31 seconds', 'worker', 'media-1:3141:a8k2p',
                            'message', 'region us-east: 503 Slow Down (store unavailable)', 'permanent', false)),
     'video.transcode:acmeStuck02', '{104}', 0, NULL,
     date_trunc('day', now()) - interval '3 hours', now() - interval '2 hours' + interval '31 seconds'),
    (106, 'video.package', 'media', '', '{"video": "acmeStuck02"}', 'cancelled', 0, 5,
     date_trunc('day', now()) - interval '3 hours', NULL, NULL, NULL, '[]', 'video.package:acmeStuck02', '{105}', 1,
     'parent job 105 (video.transcode) was discarded: region us-east: 503 Slow Down (store unavailable)',
     date_trunc('day', now()) - interval '3 hours', now() - interval '2 hours' + interval '31 seconds'),
    -- acmeOld03: failed yesterday.
    (107, 'video.ingest', 'media', '', '{"video": "acmeOld03"}', 'discarded', 1, 5,
     date_trunc('day', now()) - interval '4 hours', date_trunc('day', now()) - interval '4 hours', 'media-1:3141:a8k2p', NULL,
     jsonb_build_array(jsonb_build_object('attempt', 1, 'at', date_trunc('day', now()) - interval '4 hours' + interval '2 seconds',
                                          'worker', 'media-1:3141:a8k2p', 'message', 'truncated: moov atom not found', 'permanent', true)),
     'video.ingest:acmeOld03', '{}', 0, NULL,
     date_trunc('day', now()) - interval '4 hours', date_trunc('day', now()) - interval '4 hours' + interval '2 seconds'),
    -- globexFail04: another tenant's failure today.
    (109, 'video.ingest', 'media', '', '{"video": "globexFail04"}', 'completed', 1, 5,
     now() - interval '4 hours', now() - interval '4 hours', 'media-1:3141:a8k2p', NULL, '[]', 'video.ingest:globexFail04', '{}', 0, NULL,
     now() - interval '4 hours', now() - interval '4 hours' + interval '2 seconds'),
    (108, 'video.transcode', 'media', '', '{"video": "globexFail04"}', 'discarded', 1, 5,
     now() - interval '4 hours' + interval '2 seconds', now() - interval '4 hours' + interval '3 seconds', 'media-1:3141:a8k2p', NULL,
     jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now() - interval '4 hours' + interval '20 seconds', 'worker', 'media-1:3141:a8k2p',
                                          'message', 'decoding failed: corrupt frame at 00:00:03', 'permanent', true)),
     'video.transcode:globexFail04', '{109}', 0, NULL, now() - interval '4 hours', now() - interval '4 hours' + interval '20 seconds'),
    -- initechStuck13: its ingest has waited 25 minutes for a media slot.
    (110, 'video.ingest', 'media', 'initech', '{"video": "initechStuck13"}', 'available', 0, 5,
     now() - interval '25 minutes', NULL, NULL, NULL, '[]', 'video.ingest:initechStuck13', '{}', 0, NULL, now() - interval '25 minutes', NULL),
    (131, 'video.transcode', 'media', 'initech', '{"video": "initechStuck13"}', 'pending', 0, 5,
     now() - interval '25 minutes', NULL, NULL, NULL, '[]', 'video.transcode:initechStuck13', '{110}', 1, NULL, now() - interval '25 minutes', NULL),
    (132, 'video.package', 'media', 'initech', '{"video": "initechStuck13"}', 'pending', 0, 5,
     now() - interval '25 minutes', NULL, NULL, NULL, '[]', 'video.package:initechStuck13', '{131}', 1, NULL, now() - interval '25 minutes', NULL),
    -- initechStuck14: its transcode is held by the dead worker.
    (112, 'video.ingest', 'media', '', '{"video": "initechStuck14"}', 'completed', 1, 5,
     now() - interval '15 minutes', now() - interval '15 minutes' + interval '0.2 seconds', 'media-2:4242:k3j9x', NULL, '[]',
     'video.ingest:initechStuck14', '{}', 0, NULL, now() - interval '15 minutes', now() - interval '14 minutes'),
    (113, 'video.transcode', 'media', '', '{"video": "initechStuck14"}', 'running', 1, 5,
     now() - interval '14 minutes', now() - interval '14 minutes' + interval '3 seconds', 'media-2:4242:k3j9x', now() - interval '2 minutes', '[]',
     'video.transcode:initechStuck14', '{112}', 0, NULL, now() - interval '15 minutes', NULL),
    (133, 'video.package', 'media', '', '{"video": "initechStuck14"}', 'pending', 0, 5,
     now() - interval '15 minutes', NULL, NULL, NULL, '[]', 'video.package:initechStuck14', '{113}', 1, NULL, now() - interval '15 minutes', NULL),
    -- globexNew15: three minutes old, transcoding on a live worker.
    (114, 'video.ingest', 'media', '', '{"video": "globexNew15"}', 'completed', 1, 5,
     now() - interval '3 minutes', now() - interval '3 minutes' + interval '1 second', 'media-1:3141:a8k2p', NULL, '[]',
     'video.ingest:globexNew15', '{}', 0, NULL, now() - interval '3 minutes', now() - interval '2 minutes'),
    (115, 'video.transcode', 'media', '', '{"video": "globexNew15"}', 'running', 1, 5,
     now() - interval '2 minutes', now() - interval '2 minutes' + interval '4 seconds', 'media-1:3141:a8k2p', now() + interval '1 minute', '[]',
     'video.transcode:globexNew15', '{114}', 0, NULL, now() - interval '3 minutes', NULL),
    (135, 'video.package', 'media', '', '{"video": "globexNew15"}', 'pending', 0, 5,
     now() - interval '3 minutes', NULL, NULL, NULL, '[]', 'video.package:globexNew15', '{115}', 1, NULL, now() - interval '3 minutes', NULL),
    -- initechStuck16: transcode failed twice, retries in 30 s.
    (117, 'video.ingest', 'media', '', '{"video": "initechStuck16"}', 'completed', 1, 5,
     now() - interval '45 minutes', now() - interval '45 minutes' + interval '0.3 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'video.ingest:initechStuck16', '{}', 0, NULL, now() - interval '45 minutes', now() - interval '44 minutes'),
    (116, 'video.transcode', 'media', '', '{"video": "initechStuck16"}', 'retryable', 2, 5,
     now() + interval '30 seconds', now() - interval '1 minute', 'media-1:3141:a8k2p', NULL,
     jsonb_build_array(
         jsonb_build_object('attempt', 1, 'at', now() - interval '20 minutes', 'worker', 'media-1:3141:a8k2p',
                            'message', 'scratch disk full: 0 bytes free in /var/lib/reel/scratch', 'permanent', false),
         jsonb_build_object('attempt', 2, 'at', now() - interval '1 minute' + interval '5 seconds', 'worker', 'media-1:3141:a8k2p',
                            'message', 'scratch disk full: 0 bytes free in /var/lib/reel/scratch', 'permanent', false)),
     'video.transcode:initechStuck16', '{117}', 0, NULL, now() - interval '45 minutes', NULL),
    (134, 'video.package', 'media', '', '{"video": "initechStuck16"}', 'pending', 0, 5,
     now() - interval '45 minutes', NULL, NULL, NULL, '[]', 'video.package:initechStuck16', '{116}', 1, NULL, now() - interval '45 minutes', NULL),
    -- Transcodes of the videos that turned ready within the hour.
    (120, 'video.transcode', 'media', '', '{"video": "acmeReady06"}', 'completed', 1, 5,
     now() - interval '30 minutes', now() - interval '30 minutes' + interval '0.5 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'video.transcode:acmeReady06', '{}', 0, NULL, now() - interval '30 minutes', now() - interval '29 minutes' - interval '5 seconds'),
    (121, 'video.transcode', 'media', '', '{"video": "acmeReady07"}', 'completed', 1, 5,
     now() - interval '49 minutes 30 seconds', now() - interval '49 minutes 30 seconds' + interval '1.5 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'video.transcode:acmeReady07', '{}', 0, NULL, now() - interval '49 minutes 30 seconds', now() - interval '48 minutes' - interval '5 seconds'),
    (122, 'video.transcode', 'media', '', '{"video": "globexReady11"}', 'completed', 1, 5,
     now() - interval '40 minutes', now() - interval '40 minutes' + interval '2 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'video.transcode:globexReady11', '{}', 0, NULL, now() - interval '40 minutes', now() - interval '39 minutes 35 seconds'),
    -- Replication: one job per video and other region, enqueued when the video turned ready.
    (140, 'replicate', 'replication', '', '{"video": "acmeReady06", "region": "eu-west"}', 'completed', 1, 25,
     now() - interval '29 minutes', now() - interval '29 minutes' + interval '0.3 seconds', 'repl-1:2718:q1w2e', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '29 minutes', now() - interval '29 minutes' + interval '12 seconds'),
    (141, 'replicate', 'replication', '', '{"video": "acmeReady06", "region": "ap-south"}', 'completed', 1, 25,
     now() - interval '29 minutes', now() - interval '29 minutes' + interval '5 seconds', 'repl-1:2718:q1w2e', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '29 minutes', now() - interval '29 minutes' + interval '40 seconds'),
    (142, 'replicate', 'replication', '', '{"video": "acmeReady07", "region": "eu-west"}', 'completed', 1, 25,
     now() - interval '48 minutes', now() - interval '48 minutes' + interval '0.4 seconds', 'repl-1:2718:q1w2e', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '48 minutes', now() - interval '48 minutes' + interval '20 seconds'),
    (143, 'replicate', 'replication', '', '{"video": "acmeReady07", "region": "ap-south"}', 'retryable', 2, 25,
     now() + interval '5 minutes', now() - interval '10 minutes', 'repl-1:2718:q1w2e', NULL,
     jsonb_build_array(
         jsonb_build_object('attempt', 1, 'at', now() - interval '48 minutes' + interval '30 seconds', 'worker', 'repl-1:2718:q1w2e',
                            'message', 'objects of video acmeReady07 could not be copied to ap-south (1 failed, 1 left to try); first, seg0: ap-south: 503 Service Unavailable',
                            'permanent', false),
         jsonb_build_object('attempt', 2, 'at', now() - interval '10 minutes' + interval '2 seconds', 'worker', 'repl-1:2718:q1w2e',
                            'message', 'objects of video acmeReady07 could not be copied to ap-south (1 failed, 1 left to try); first, seg0: ap-south: 503 Service Unavailable',
                            'permanent', false)),
     NULL, '{}', 0, NULL, now() - interval '48 minutes', NULL),
    (144, 'replicate', 'replication', '', '{"video": "globexReady11", "region": "eu-west"}', 'completed', 1, 25,
     now() - interval '39 minutes 30 seconds', now() - interval '39 minutes 30 seconds' + interval '0.2 seconds', 'repl-1:2718:q1w2e', NULL, '[]',
     NULL, '{}', 0, NULL, now() - interval '39 minutes 30 seconds', now() - interval '39 minutes 30 seconds' + interval '8 seconds'),
    (145, 'replicate', 'replication', '', '{"video": "globexReady11", "region": "ap-south"}', 'available', 1, 25,
     now() - interval '1 minute', now() - interval '39 minutes 30 seconds' + interval '0.2 seconds', 'repl-1:2718:q1w2e', NULL,
     jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now() - interval '39 minutes 30 seconds' + interval '1 second', 'worker', 'repl-1:2718:q1w2e',
                                          'message', 'objects of video globexReady11 could not be copied to ap-south (1 failed, 5 left to try); first, source: ap-south: connection refused',
                                          'permanent', false)),
     NULL, '{}', 0, NULL, now() - interval '39 minutes 30 seconds', NULL),
    (146, 'replicate', 'replication', '', '{"video": "acmeReady08", "region": "eu-west"}', 'completed', 4, 25,
     now() - interval '2 hours 50 minutes', now() - interval '2 hours 50 minutes', 'repl-1:2718:q1w2e', NULL,
     jsonb_build_array(
         jsonb_build_object('attempt', 1, 'at', now() - interval '2 hours 58 minutes', 'worker', 'repl-1:2718:q1w2e', 'message', 'eu-west: timed out', 'permanent', false),
         jsonb_build_object('attempt', 2, 'at', now() - interval '2 hours 57 minutes', 'worker', 'repl-1:2718:q1w2e', 'message', 'eu-west: timed out', 'permanent', false),
         jsonb_build_object('attempt', 3, 'at', now() - interval '2 hours 55 minutes', 'worker', 'repl-1:2718:q1w2e', 'message', 'eu-west: timed out', 'permanent', false)),
     NULL, '{}', 0, NULL, now() - interval '2 hours 58 minutes', now() - interval '2 hours 50 minutes' + interval '10 seconds'),
    (147, 'replicate', 'replication', '', '{"video": "acmeReady08", "region": "ap-south"}', 'completed', 1, 25,
     now() - interval '2 hours 58 minutes', now() - interval '2 hours 58 minutes', 'repl-1:2718:q1w2e', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '2 hours 58 minutes', now() - interval '2 hours 58 minutes' + interval '30 seconds'),
    (148, 'replicate', 'replication', '', '{"video": "globexReady12", "region": "eu-west"}', 'completed', 1, 25,
     now() - interval '6 hours', now() - interval '6 hours', 'repl-1:2718:q1w2e', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '6 hours', now() - interval '6 hours' + interval '9 seconds'),
    (149, 'replicate', 'replication', '', '{"video": "globexReady12", "region": "ap-south"}', 'completed', 1, 25,
     now() - interval '6 hours', now() - interval '6 hours', 'repl-1:2718:q1w2e', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '6 hours', now() - interval '6 hours' + interval '14 seconds'),
    -- acmeOld10's replication, yesterday: outside every window (20 attempts would dominate retry churn).
    (160, 'replicate', 'replication', '', '{"video": "acmeOld10", "region": "eu-west"}', 'completed', 20, 25,
     now() - interval '29 hours', now() - interval '29 hours', 'repl-1:2718:q1w2e', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '30 hours', now() - interval '29 hours'),
    (161, 'replicate', 'replication', '', '{"video": "acmeOld10", "region": "ap-south"}', 'completed', 1, 25,
     now() - interval '30 hours', now() - interval '30 hours', 'repl-1:2718:q1w2e', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '30 hours', now() - interval '29 hours'),
    -- Edges.
    (150, 'edge.warm', 'edges', 'acme', '{"video": "acmeReady06", "edge": "use-1", "reason": "ready"}', 'completed', 1, 5,
     now() - interval '29 minutes', now() - interval '29 minutes' + interval '0.1 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'edge.warm:ready:acmeReady06:use-1', '{}', 0, NULL, now() - interval '29 minutes', now() - interval '29 minutes' + interval '3 seconds'),
    (151, 'edge.warm', 'edges', 'acme', '{"video": "acmeReady06", "edge": "euw-1", "reason": "ready"}', 'completed', 2, 5,
     now() - interval '28 minutes', now() - interval '28 minutes' + interval '0.2 seconds', 'media-1:3141:a8k2p', NULL,
     jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now() - interval '29 minutes' + interval '1 second', 'worker', 'media-1:3141:a8k2p',
                                          'message', 'edge euw-1 (http://10.0.2.10:6081) cannot be reached: connection refused', 'permanent', false)),
     'edge.warm:ready:acmeReady06:euw-1', '{}', 0, NULL, now() - interval '29 minutes', now() - interval '28 minutes' + interval '4 seconds'),
    (152, 'edge.warm', 'edges', 'globex', '{"video": "globexReady11", "edge": "use-1", "reason": "ready"}', 'completed', 1, 5,
     now() - interval '39 minutes 30 seconds', now() - interval '39 minutes 30 seconds' + interval '0.3 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'edge.warm:ready:globexReady11:use-1', '{}', 0, NULL, now() - interval '39 minutes 30 seconds', now() - interval '39 minutes 25 seconds'),
    (153, 'edge.warm', 'edges', 'globex', '{"video": "globexReady11", "edge": "euw-1", "reason": "ready"}', 'discarded', 5, 5,
     now() - interval '30 minutes' - interval '2 seconds', now() - interval '30 minutes' - interval '1 second', 'media-1:3141:a8k2p', NULL,
     jsonb_build_array(
         jsonb_build_object('attempt', 1, 'at', now() - interval '39 minutes', 'worker', 'media-1:3141:a8k2p', 'message', 'edge euw-1 (http://10.0.2.10:6081) cannot be reached: connection refused', 'permanent', false),
         jsonb_build_object('attempt', 2, 'at', now() - interval '37 minutes', 'worker', 'media-1:3141:a8k2p', 'message', 'edge euw-1 (http://10.0.2.10:6081) cannot be reached: connection refused', 'permanent', false),
         jsonb_build_object('attempt', 3, 'at', now() - interval '35 minutes', 'worker', 'media-1:3141:a8k2p', 'message', 'edge euw-1 (http://10.0.2.10:6081) cannot be reached: connection refused', 'permanent', false),
         jsonb_build_object('attempt', 4, 'at', now() - interval '33 minutes', 'worker', 'media-1:3141:a8k2p', 'message', 'edge euw-1 (http://10.0.2.10:6081) cannot be reached: connection refused', 'permanent', false),
         jsonb_build_object('attempt', 5, 'at', now() - interval '30 minutes', 'worker', 'media-1:3141:a8k2p', 'message', 'edge euw-1 (http://10.0.2.10:6081) cannot be reached: connection refused', 'permanent', false)),
     'edge.warm:ready:globexReady11:euw-1', '{}', 0, NULL, now() - interval '39 minutes 30 seconds', now() - interval '30 minutes'),
    (154, 'edge.warm', 'edges', '', '{"video": "acmeOld10", "edge": "use-1", "reason": "popular"}', 'completed', 1, 3,
     now() - interval '20 minutes', now() - interval '20 minutes' + interval '0.4 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'edge.warm:popular:acmeOld10:use-1', '{}', 0, NULL, now() - interval '20 minutes', now() - interval '19 minutes'),
    (130, 'edge.warm', 'edges', 'acme', '{"video": "acmeReady09", "edge": "use-1", "reason": "playable"}', 'running', 1, 5,
     now() - interval '3 minutes', now() - interval '3 minutes' + interval '0.5 seconds', 'media-2:4242:k3j9x', now() - interval '30 seconds', '[]',
     'edge.warm:playable:acmeReady09:use-1', '{}', 0, NULL, now() - interval '3 minutes', NULL),
    (158, 'edge.warm', 'edges', 'acme', '{"video": "acmeReady08", "edge": "aps-1", "reason": "ready"}', 'completed', 1, 5,
     now() - interval '2 hours 58 minutes', now() - interval '2 hours 58 minutes', 'media-1:3141:a8k2p', NULL, '[]',
     'edge.warm:ready:acmeReady08:aps-1', '{}', 0, NULL, now() - interval '2 hours 58 minutes', now() - interval '2 hours 57 minutes'),
    (155, 'edge.stats', 'edges', '', '{}', 'completed', 1, 20,
     now() - interval '1 minute', now() - interval '1 minute' + interval '0.05 seconds', 'media-1:3141:a8k2p', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '1 minute', now() - interval '1 minute' + interval '1 second'),
    (156, 'edge.popular', 'edges', '', '{"top": 20, "minutes": 60}', 'completed', 1, 20,
     now() - interval '5 minutes', now() - interval '5 minutes' + interval '0.1 seconds', 'media-1:3141:a8k2p', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '5 minutes', now() - interval '5 minutes' + interval '1 second'),
    (159, 'edge.purge', 'edges', 'acme', '{"video": "acmeGone05", "edge": "use-1", "reason": "deleted"}', 'completed', 1, 25,
     now() - interval '40 minutes', now() - interval '40 minutes' + interval '0.1 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'edge.purge:deleted:acmeGone05:use-1', '{}', 0, NULL, now() - interval '40 minutes', now() - interval '40 minutes' + interval '1 second'),
    (162, 'edge.purge', 'edges', 'acme', '{"video": "acmeGone05", "edge": "euw-1", "reason": "deleted"}', 'completed', 1, 25,
     now() - interval '40 minutes', now() - interval '40 minutes' + interval '0.1 seconds', 'media-1:3141:a8k2p', NULL, '[]',
     'edge.purge:deleted:acmeGone05:euw-1', '{}', 0, NULL, now() - interval '40 minutes', now() - interval '40 minutes' + interval '1 second'),
    (157, 'edge.purge', 'edges', 'globex', '{"video": "globexGone17", "edge": "aps-1", "reason": "deleted"}', 'discarded', 25, 25,
     now() - interval '1 hour 30 minutes' - interval '2 seconds', now() - interval '1 hour 30 minutes' - interval '1 second', 'media-1:3141:a8k2p', NULL,
     jsonb_build_array(jsonb_build_object('attempt', 25, 'at', now() - interval '1 hour 30 minutes', 'worker', 'media-1:3141:a8k2p',
                                          'message', 'edge aps-1 (http://10.0.3.10:6081) cannot be reached: no route to host', 'permanent', false)),
     'edge.purge:deleted:globexGone17:aps-1', '{}', 0, NULL, date_trunc('day', now()) - interval '1 hour', now() - interval '1 hour 30 minutes'),
    -- Garbage collection.
    (170, 'gc', 'maintenance', '', '{"grace_seconds": 3600}', 'completed', 1, 20,
     now() - interval '3 hours', now() - interval '3 hours', 'media-1:3141:a8k2p', NULL, '[]', NULL, '{}', 0, NULL,
     now() - interval '3 hours', now() - interval '3 hours' + interval '40 seconds');
INSERT INTO reel_jobs_live SELECT * FROM seed_jobs WHERE state NOT IN ('completed', 'discarded', 'cancelled');
INSERT INTO reel_jobs_history SELECT * FROM seed_jobs WHERE state IN ('completed', 'discarded', 'cancelled');
SELECT setval(pg_get_serial_sequence('reel_jobs_live', 'id'), (SELECT max(id) FROM seed_jobs));

-- Dependencies of the jobs still waiting (a finished child's go with it).
INSERT INTO reel_job_deps (parent_id, child_id)
SELECT d.parent_id, d.child_id FROM (VALUES (110, 131), (131, 132), (113, 133), (115, 135), (116, 134)) AS d (parent_id, child_id)
WHERE EXISTS (SELECT 1 FROM reel_jobs_live j WHERE j.id = d.child_id);

-- The last scheduler stopped renewing its leadership five minutes ago.
INSERT INTO reel_leaders (name, leader_id, elected_at, expires_at)
VALUES ('scheduler', 'sched-a:777:x1y2z', now() - interval '2 days', now() - interval '5 minutes');

-- Plays per video and minute, as the API counts them.
INSERT INTO video_plays (video_id, minute, plays) VALUES
    ('acmeReady06', date_trunc('minute', now()) - interval '5 minutes', 300),
    ('acmeReady06', date_trunc('minute', now()) - interval '20 minutes', 200),
    ('globexReady11', date_trunc('minute', now()) - interval '2 minutes', 400),
    ('acmeOld10', date_trunc('minute', now()) - interval '10 minutes', 250),
    ('acmeOld10', date_trunc('minute', now()) - interval '90 minutes', 10000),
    ('acmeReady08', date_trunc('minute', now()) - interval '30 minutes', 100),
    ('acmeGone05', date_trunc('minute', now()) - interval '50 minutes', 600),
    ('acmeGone05', date_trunc('minute', now()) - interval '45 minutes', 300),
    ('globexReady12', date_trunc('minute', now()) - interval '2 hours', 5000);

INSERT INTO edge_warmings (edge, video_id, reason, state, objects, already_cached, bytes, error, started_at, finished_at) VALUES
    ('use-1', 'acmeReady06', 'ready', 'done', 5, 0, 2501000, NULL, now() - interval '29 minutes', now() - interval '29 minutes' + interval '3 seconds'),
    ('euw-1', 'acmeReady06', 'ready', 'failed', 0, 0, 0, 'edge euw-1 (http://10.0.2.10:6081) cannot be reached: connection refused',
     now() - interval '29 minutes', now() - interval '29 minutes' + interval '1 second'),
    ('euw-1', 'acmeReady06', 'ready', 'done', 5, 0, 2501000, NULL, now() - interval '28 minutes', now() - interval '28 minutes' + interval '4 seconds'),
    ('use-1', 'globexReady11', 'ready', 'done', 5, 0, 2501000, NULL, now() - interval '39 minutes 30 seconds', now() - interval '39 minutes 25 seconds'),
    ('euw-1', 'globexReady11', 'ready', 'failed', 0, 0, 0, 'edge euw-1 (http://10.0.2.10:6081) cannot be reached: connection refused',
     now() - interval '30 minutes', now() - interval '30 minutes' + interval '1 second'),
    ('use-1', 'acmeOld10', 'popular', 'done', 5, 2, 2501000, NULL, now() - interval '20 minutes', now() - interval '19 minutes'),
    ('aps-1', 'acmeReady08', 'ready', 'done', 5, 0, 2501000, NULL, now() - interval '2 hours 58 minutes', now() - interval '2 hours 57 minutes'),
    ('use-1', 'acmeReady09', 'playable', 'running', 0, 0, 0, NULL, now() - interval '3 minutes', NULL);

-- What the last edge.popular run (five minutes ago) told each edge to keep.
INSERT INTO edge_popular (edge, video_id, rank, bytes, ranked_at) VALUES
    ('use-1', 'acmeReady06', 1, 2001000, now() - interval '5 minutes'),
    ('use-1', 'globexReady11', 2, 2001000, now() - interval '5 minutes'),
    ('use-1', 'acmeOld10', 3, 2001000, now() - interval '5 minutes'),
    ('euw-1', 'acmeReady06', 1, 2001000, now() - interval '5 minutes'),
    ('aps-1', 'acmeReady08', 1, 2001000, now() - interval '2 hours');

-- varnishstat snapshots (cumulative since each edge started). euw-1 restarted
-- between its first and second snapshot of the hour; use-1's 90-minute-old
-- snapshot is outside the hour; aps-1 (disabled) last reported 2 hours ago.
INSERT INTO edge_stats (edge, at, hits, misses, passes, client_bytes, origin_bytes, objects) VALUES
    ('use-1', now() - interval '90 minutes', 1000, 1000, 10, 500000, 300000, 100),
    ('use-1', now() - interval '55 minutes', 2000, 1500, 20, 1000000, 400000, 150),
    ('use-1', now() - interval '30 minutes', 5000, 2000, 30, 3000000, 600000, 200),
    ('use-1', now() - interval '5 minutes', 9000, 2500, 40, 6000000, 900000, 250),
    ('euw-1', now() - interval '50 minutes', 8000, 2000, 50, 8000000, 2000000, 300),
    ('euw-1', now() - interval '25 minutes', 300, 700, 5, 300000, 200000, 40),
    ('euw-1', now() - interval '3 minutes', 1300, 1200, 9, 1300000, 700000, 80),
    ('aps-1', now() - interval '2 hours', 100, 900, 0, 100000, 90000, 10);
