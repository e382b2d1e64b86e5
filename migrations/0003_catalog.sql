-- The catalog: videos, their renditions and segments, and where every stored
-- object has a verified copy. Objects are named by the SHA-256 of their bytes
-- (hex); the URLs people see (/v1/videos/{id}/{rendition}/{n}.m4s) map to
-- digests through these rows. Read docs/catalog.md.

CREATE TYPE video_status AS ENUM (
    'uploaded',    -- the source is stored; ingest has not finished
    'processing',  -- probed and planned; transcoding
    'playable',    -- the lowest rung's first segments are stored: it plays
    'ready',       -- every rung and the manifests are stored
    'failed',      -- a media error; see error
    'deleted'      -- gone from the API; objects await garbage collection
);

CREATE TABLE videos (
    id              text PRIMARY KEY CHECK (id ~ '^[0-9A-Za-z]{8,32}$'),
    owner           text NOT NULL DEFAULT '',
    title           text NOT NULL DEFAULT '',
    status          video_status NOT NULL DEFAULT 'uploaded',
    home_region     text NOT NULL,
    source_digest   text NOT NULL CHECK (source_digest ~ '^[0-9a-f]{64}$'),
    source_size     bigint NOT NULL CHECK (source_size >= 0),
    content_type    text NOT NULL DEFAULT 'application/octet-stream',
    duration_s      double precision,
    width           int,
    height          int,
    poster_digest   text,
    sprite_digest   text,
    sprite          jsonb,               -- tile layout of the sprite sheet
    probe           jsonb,               -- what ingest found in the source (MediaInfo)
    ladder          jsonb,               -- the rungs ingest planned
    error           text,                -- why it failed, for the uploader
    created_at      timestamptz NOT NULL DEFAULT now(),
    playable_at     timestamptz,         -- time to first playable = playable_at - created_at
    ready_at        timestamptz,
    failed_at       timestamptz,
    deleted_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX videos_owner ON videos (owner, created_at DESC);
CREATE INDEX videos_status ON videos (status, created_at DESC);

CREATE TABLE renditions (
    video_id          text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    name              text NOT NULL,     -- '1080p' … '360p', 'audio'
    kind              text NOT NULL CHECK (kind IN ('video', 'audio')),
    codecs            text NOT NULL,     -- RFC 6381, e.g. avc1.64001f
    width             int,
    height            int,
    frame_rate        double precision,
    bandwidth         bigint,            -- peak segment bit rate, bits/s
    average_bandwidth bigint,
    timescale         int NOT NULL,
    init_digest       text NOT NULL,
    complete          boolean NOT NULL DEFAULT false,  -- every segment is stored
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (video_id, name)
);

CREATE TABLE segments (
    video_id    text NOT NULL,
    rendition   text NOT NULL,
    number      int NOT NULL CHECK (number >= 0),
    start_time  bigint NOT NULL,          -- in the rendition's timescale
    duration    bigint NOT NULL,          -- in the rendition's timescale
    bytes       bigint NOT NULL,
    digest      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (video_id, rendition, number),
    FOREIGN KEY (video_id, rendition) REFERENCES renditions (video_id, name) ON DELETE CASCADE
);
CREATE INDEX segments_digest ON segments (digest);

CREATE TYPE replica_state AS ENUM ('pending', 'verified', 'failed');

-- One row per object and region: where a copy is, and when its bytes were
-- last checked against the digest.
CREATE TABLE object_replicas (
    digest       text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    region       text NOT NULL,
    state        replica_state NOT NULL DEFAULT 'pending',
    bytes        bigint,
    attempts     int NOT NULL DEFAULT 0,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    verified_at  timestamptz,
    PRIMARY KEY (digest, region)
);
CREATE INDEX object_replicas_pending ON object_replicas (region, created_at) WHERE state <> 'verified';

-- Every object a live video references, for replication and garbage collection.
CREATE VIEW video_objects AS
    SELECT id AS video_id, source_digest AS digest, 'source' AS role FROM videos WHERE status <> 'deleted'
    UNION ALL SELECT id, poster_digest, 'poster' FROM videos WHERE poster_digest IS NOT NULL AND status <> 'deleted'
    UNION ALL SELECT id, sprite_digest, 'sprite' FROM videos WHERE sprite_digest IS NOT NULL AND status <> 'deleted'
    UNION ALL SELECT video_id, init_digest, 'init' FROM renditions
    UNION ALL SELECT video_id, digest, 'segment' FROM segments;

-- Replication progress per video and region, for `reel videos show` and SQL.
CREATE VIEW video_replication AS
    SELECT o.video_id, r.region,
           count(DISTINCT o.digest) AS objects,
           count(DISTINCT o.digest) FILTER (WHERE r.state = 'verified') AS verified,
           count(DISTINCT o.digest) FILTER (WHERE r.state = 'failed') AS failed,
           max(r.verified_at) AS last_verified_at
    FROM video_objects o JOIN object_replicas r USING (digest)
    GROUP BY o.video_id, r.region;

-- Garbage collection marks before it sweeps: an object no live video
-- references is noted here, and removed only if it is still unreferenced a
-- grace period later (an upload stores its source moments before its row commits).
CREATE TABLE gc_candidates (
    digest         text NOT NULL,
    region         text NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (digest, region)
);

