-- Resumable uploads: one row per upload in progress. The bytes received so
-- far are in the API's spool folder; `received` is how many of them are
-- safely on disk, so a client that lost its connection asks for it and
-- continues from there. The row names its video once the upload completes.
CREATE TABLE uploads (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9A-Za-z]{8,32}$'),
    length        bigint NOT NULL CHECK (length > 0),
    received      bigint NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= length),
    title         text NOT NULL DEFAULT '',
    owner         text NOT NULL DEFAULT '',
    content_type  text NOT NULL,
    video_id      text REFERENCES videos (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
