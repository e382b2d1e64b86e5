-- Uploads are bounded and exact (docs/security.md).
--
-- Every upload in progress holds a row here, one-shot ones too (one_shot),
-- so the quotas per token and per tenant (open uploads, bytes in flight)
-- hold across every API instance; a one-shot upload's row goes when it ends.
--
-- Resumable uploads are exact across API instances: a chunk is written only
-- by the request that claimed the row with one conditional UPDATE (the chunk
-- starts where the stored bytes end, and no live claim is held), so two
-- instances can never append at the same offset and two concurrent final
-- chunks publish one video. A claim names its writer and lasts until
-- writer_until; the writer renews it while bytes arrive, so the claim of an
-- instance that died lapses within seconds and the client can continue.
--
-- expires_at: an unfinished upload's row is removed after it by the
-- scheduler, and its bytes by the API instance that holds them.
ALTER TABLE uploads
    ADD COLUMN writer       text,
    ADD COLUMN writer_until timestamptz,
    ADD COLUMN expires_at   timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    ADD COLUMN token_id     bigint REFERENCES reel_api_tokens (id) ON DELETE SET NULL,
    ADD COLUMN one_shot     boolean NOT NULL DEFAULT false;

CREATE INDEX uploads_open_by_owner ON uploads (owner) WHERE video_id IS NULL;
CREATE INDEX uploads_open_by_token ON uploads (token_id) WHERE video_id IS NULL;
CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE video_id IS NULL;
