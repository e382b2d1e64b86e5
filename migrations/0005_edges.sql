-- Edges: the Varnish caches (or a CDN's points of presence) in front of the
-- read API. Reel warms them when a video becomes playable, purges them when
-- it is deleted, and reads their hit ratio. Read docs/edges.md.

CREATE TABLE edges (
    name            text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
    region          text NOT NULL,          -- viewers with this region hint are sent here
    url             text NOT NULL,          -- what viewers and warm jobs fetch through: http://host:port
    capacity_bytes  bigint NOT NULL DEFAULT 268435456 CHECK (capacity_bytes > 0),
    stats_workdir   text,                   -- varnishd -n folder, for varnishstat (local edges)
    enabled         boolean NOT NULL DEFAULT true,
    healthy         boolean NOT NULL DEFAULT true,  -- did the last check or warm reach it? playback falls back to the origin when not
    checked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE edges IS 'edge caches in front of the read API: warmed on publish, purged on delete';

-- One row per warm of one video through one edge.
CREATE TABLE edge_warmings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    edge            text NOT NULL REFERENCES edges (name) ON DELETE CASCADE,
    video_id        text NOT NULL,          -- no foreign key: a warming outlives a deleted video's row
    reason          text NOT NULL CHECK (reason IN ('playable', 'ready', 'popular')),
    state           text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    objects         int NOT NULL DEFAULT 0, -- fetched through the edge
    already_cached  int NOT NULL DEFAULT 0, -- of those, answered by the edge as a HIT
    bytes           bigint NOT NULL DEFAULT 0,
    error           text,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX edge_warmings_video ON edge_warmings (video_id, started_at DESC);
CREATE INDEX edge_warmings_edge ON edge_warmings (edge, started_at DESC);
COMMENT ON TABLE edge_warmings IS 'each warming of a video through an edge: objects and bytes fetched, how long it took';

-- Plays counted by the API (a master playlist or MPD fetched), per video and minute:
-- what the popularity warming ranks by.
CREATE TABLE video_plays (
    video_id        text NOT NULL,
    minute          timestamptz NOT NULL,
    plays           bigint NOT NULL CHECK (plays > 0),
    PRIMARY KEY (video_id, minute)
);
CREATE INDEX video_plays_minute ON video_plays (minute);
COMMENT ON TABLE video_plays IS 'plays per video per minute, as counted by the API';

-- Cache counters read from each edge (varnishstat), newest last.
CREATE TABLE edge_stats (
    edge            text NOT NULL REFERENCES edges (name) ON DELETE CASCADE,
    at              timestamptz NOT NULL DEFAULT now(),
    hits            bigint NOT NULL,        -- MAIN.cache_hit (+ grace hits)
    misses          bigint NOT NULL,        -- MAIN.cache_miss
    passes          bigint NOT NULL,        -- MAIN.s_pass
    client_bytes    bigint NOT NULL,        -- bytes sent to viewers (MAIN.s_resp_bodybytes)
    origin_bytes    bigint NOT NULL,        -- bytes fetched from the origin (MAIN.beresp_bodybytes)
    objects         bigint NOT NULL,        -- MAIN.n_object
    PRIMARY KEY (edge, at)
);
COMMENT ON TABLE edge_stats IS 'snapshots of each edge''s cache counters (cumulative since the edge started)';

-- Per edge: hit ratio and origin offload from the latest snapshot.
CREATE VIEW edge_report AS
SELECT e.name AS edge, e.region, e.url, e.enabled, s.at AS measured_at,
       s.hits, s.misses,
       CASE WHEN s.hits + s.misses > 0 THEN round(s.hits::numeric / (s.hits + s.misses), 4) END AS hit_ratio,
       s.client_bytes, s.origin_bytes,
       CASE WHEN s.client_bytes > 0 THEN round(1 - s.origin_bytes::numeric / s.client_bytes, 4) END AS origin_offload,
       s.objects
FROM edges e
LEFT JOIN LATERAL (SELECT * FROM edge_stats WHERE edge = e.name ORDER BY at DESC LIMIT 1) s ON true;
COMMENT ON VIEW edge_report IS 'per edge: hit ratio and origin offload (1 - origin bytes / bytes served) from the latest counters';

-- Edge jobs follow a video's status in the same transaction as the change:
-- playable → warm every enabled edge with what exists (the lowest rung's first
-- segments); ready → warm again with the whole warm set (every rung);
-- deleted → purge the video from every enabled edge (retried until it
-- reaches the edge: an edge down at delete time is purged when it is back).
CREATE FUNCTION reel_edge_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e record;
    v_kind text;
    v_reason text;
BEGIN
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF NEW.status IN ('playable', 'ready') THEN
        v_kind := 'edge.warm';
        v_reason := NEW.status::text;
    ELSIF NEW.status = 'deleted' THEN
        v_kind := 'edge.purge';
        v_reason := 'deleted';
    ELSE
        RETURN NEW;
    END IF;
    FOR e IN SELECT name FROM edges WHERE enabled ORDER BY name LOOP
        PERFORM reel_insert_job(
            v_kind, 'edges', NEW.owner, jsonb_build_object('video', NEW.id, 'edge', e.name, 'reason', v_reason),
            0::smallint, CASE WHEN v_kind = 'edge.purge' THEN 25 ELSE 5 END, now(),
            v_kind || ':' || v_reason || ':' || NEW.id || ':' || e.name, '{}'::bigint[], '{}'::jsonb);
    END LOOP;
    RETURN NEW;
END $$;

CREATE TRIGGER videos_edge_jobs AFTER UPDATE OF status ON videos
    FOR EACH ROW EXECUTE FUNCTION reel_edge_jobs();

-- What each edge should keep: the most played videos that fit in three
-- quarters of its cache, as the last edge.popular run ranked them. The origin
-- tells an edge not to keep objects of older videos outside this set
-- (X-Reel-Edge-Admit: no), so the long tail does not evict what viewers
-- come back for. Empty for an edge: it keeps everything.
CREATE TABLE edge_popular (
    edge        text NOT NULL REFERENCES edges (name) ON DELETE CASCADE,
    video_id    text NOT NULL,
    rank        int NOT NULL,
    bytes       bigint NOT NULL,
    ranked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (edge, video_id)
);
COMMENT ON TABLE edge_popular IS 'per edge: the videos it keeps (most played, within 3/4 of its cache), from the last edge.popular run';
