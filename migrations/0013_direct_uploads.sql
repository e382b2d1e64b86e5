-- Direct uploads (docs/integrating.md): an app's backend, with its token, asks
-- for a one-time tus URL; a phone uploads to it with no token. The URL carries
-- a random secret of which only the SHA-256 is kept. One upload may be created
-- from it (used_at), before expires_at, of at most max_bytes, for `owner`; the
-- upload and its video take the id chosen here, so the backend knows the
-- video's id before the phone sends a byte.
CREATE TABLE direct_uploads (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9A-Za-z]{8,32}$'),
    secret_sha256 bytea NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    owner         text NOT NULL DEFAULT '',
    -- The token that asked for it; its upload counts against that token's quotas.
    token_id      bigint REFERENCES reel_api_tokens (id) ON DELETE SET NULL,
    max_bytes     bigint NOT NULL CHECK (max_bytes > 0),
    -- tus Upload-Metadata pairs the backend set (the title among them); they win over the phone's.
    metadata      text NOT NULL DEFAULT '',
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    used_at       timestamptz
);
CREATE INDEX direct_uploads_expiry ON direct_uploads (expires_at);
