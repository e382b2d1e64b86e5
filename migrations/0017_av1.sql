-- AV1 renditions for popular videos (docs/media.md, "AV1 for what people
-- watch"): a ready video whose plays cross the threshold of the periodic
-- `av1.select` job gets an `av1.encode` job on the `reencode` queue,
-- which encodes `{rung}-av1` renditions and lists them beside the H.264 ones
-- (renditions and segments, like any other: replication, scrubbing and
-- garbage collection need nothing new). This column says where that stands.
ALTER TABLE videos ADD COLUMN av1 jsonb;
COMMENT ON COLUMN videos.av1 IS 'AV1 renditions: {state: queued|published|failed, plays, rungs: [{rung, bitrate, bytes, h264_bytes}], seconds, error}; NULL when never chosen';

-- One AV1 encode at a time across every worker: it is long and never urgent.
INSERT INTO reel_queues (name, global_limit) VALUES ('reencode', 1) ON CONFLICT (name) DO NOTHING;

-- Every minute: videos with 1,000 plays over the last day (change with `reel periodic`).
INSERT INTO reel_periodic_jobs (name, cron, kind, queue, args)
VALUES ('av1.select', '* * * * *', 'av1.select', 'reencode', '{"plays": 1000, "minutes": 1440, "limit": 5}')
ON CONFLICT (name) DO NOTHING;

-- The warming that fills the edges with a video's new AV1 renditions.
ALTER TABLE edge_warmings DROP CONSTRAINT edge_warmings_reason_check;
ALTER TABLE edge_warmings ADD CONSTRAINT edge_warmings_reason_check CHECK (reason IN ('playable', 'ready', 'popular', 'av1'));
