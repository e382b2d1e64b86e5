-- Resumable uploads are exact across API instances: a chunk is written only
-- by the request that claimed the row with one conditional UPDATE (the chunk
-- starts where the stored bytes end, and no live claim is held), so two
-- instances can never append at the same offset and two concurrent final
-- chunks publish one video. A claim names its writer and lasts until
-- writer_until; the writer renews it while bytes arrive, so the claim of an
-- instance that died lapses within seconds and the client can continue.
-- expires_at: an unfinished upload's bytes and row are removed after it.
ALTER TABLE uploads
    ADD COLUMN writer       text,
    ADD COLUMN writer_until timestamptz,
    ADD COLUMN expires_at   timestamptz NOT NULL DEFAULT now() + interval '24 hours';

CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE video_id IS NULL;
