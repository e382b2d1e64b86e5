-- Per-title bit rates (docs/media.md, "Per-title bit rates"): what the
-- transcode measured of the video (constant-quality samples at every rung's
-- size) and the ladder it chose from that, or why it kept the fixed ladder.
-- `ladder` stays the fixed plan ingest made; this is what was encoded.
ALTER TABLE videos ADD COLUMN per_title jsonb;
COMMENT ON COLUMN videos.per_title IS 'per-title choice: {measurement, plan: {rungs, choices, configuration}, fallback}; NULL when the fixed ladder was used without measuring';
