-- tus 1.0.0 uploads (docs/integrating.md). An upload keeps the Upload-Metadata
-- header its client sent (HEAD returns it), and may be created before its
-- length is known (creation-defer-length): length_deferred is then true and
-- length holds the most it may grow to, which is what the quotas count, until
-- a chunk declares the real length.
ALTER TABLE uploads
    ADD COLUMN metadata        text NOT NULL DEFAULT '',
    ADD COLUMN length_deferred boolean NOT NULL DEFAULT false;
