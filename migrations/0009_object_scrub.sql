-- Corruption is found and repaired, never served for a year (docs/storage.md).
--
-- object_copies: every copy that should exist, the video's home region for
-- each object it references plus every verified replica.
CREATE VIEW object_copies AS
    SELECT DISTINCT o.digest, v.home_region AS region FROM video_objects o JOIN videos v ON v.id = o.video_id
    UNION
    SELECT r.digest, r.region FROM object_replicas r WHERE r.state = 'verified'
        AND EXISTS (SELECT 1 FROM video_objects o WHERE o.digest = r.digest);

-- The scrub's progress: when each copy was last read back and hashed. The
-- periodic `objects.scrub` job claims the copies scrubbed longest ago
-- (claimed_until keeps two overlapping runs apart).
CREATE TABLE object_scrubs (
    digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    region        text NOT NULL,
    scrubbed_at   timestamptz NOT NULL DEFAULT '-infinity',
    claimed_until timestamptz,
    PRIMARY KEY (digest, region)
);
CREATE INDEX object_scrubs_oldest ON object_scrubs (scrubbed_at);

-- Each copy found missing or damaged, by whom, where its bad bytes went, and
-- when and from which region it was repaired (NULL: not yet, or no good copy
-- is left anywhere).
CREATE TABLE object_findings (
    id            bigserial PRIMARY KEY,
    digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    region        text NOT NULL,
    problem       text NOT NULL CHECK (problem IN ('missing', 'corrupt')),
    detail        text NOT NULL DEFAULT '',
    found_by      text NOT NULL CHECK (found_by IN ('scrub', 'verify', 'edge-fill')),
    found_at      timestamptz NOT NULL DEFAULT now(),
    quarantined   text,
    repaired_at   timestamptz,
    repaired_from text
);
CREATE INDEX object_findings_open ON object_findings (digest, region) WHERE repaired_at IS NULL;

CREATE VIEW reel_report_object_findings AS
    SELECT f.id, f.found_at, f.found_by, f.region, f.digest, f.problem, f.detail, f.quarantined,
           CASE WHEN f.repaired_at IS NOT NULL THEN 'repaired' ELSE 'open' END AS state,
           f.repaired_from, f.repaired_at,
           (SELECT string_agg(DISTINCT o.video_id, ',') FROM video_objects o WHERE o.digest = f.digest) AS videos
    FROM object_findings f ORDER BY f.found_at DESC;
COMMENT ON VIEW reel_report_object_findings IS 'copies found missing or corrupt (scrub, verify, edge fills), quarantined and repaired or still open';

CREATE VIEW reel_report_object_scrub AS
    SELECT c.region, count(*) AS copies,
           count(*) FILTER (WHERE s.scrubbed_at > now() - interval '1 day') AS scrubbed_last_day,
           min(s.scrubbed_at) FILTER (WHERE s.scrubbed_at > '-infinity') AS oldest_scrub,
           count(*) FILTER (WHERE s.digest IS NULL OR s.scrubbed_at = '-infinity') AS never_scrubbed
    FROM object_copies c LEFT JOIN object_scrubs s USING (digest, region)
    GROUP BY c.region ORDER BY c.region;
COMMENT ON VIEW reel_report_object_scrub IS 'per region: copies, how many the scrub read back in the last day, the oldest scrub, copies never scrubbed';

INSERT INTO reel_periodic_jobs (name, cron, kind, queue, args)
VALUES ('objects.scrub', '* * * * *', 'objects.scrub', 'replication', '{"seconds": 50}')
ON CONFLICT (name) DO NOTHING;
