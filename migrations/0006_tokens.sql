-- API tokens: who may upload, read the admin API and dashboard, or act on
-- jobs and videos. Only a SHA-256 digest of each token is stored; the token
-- itself is shown once, when `reel tokens create` makes it. Read docs/security.md.

CREATE TABLE reel_api_tokens (
    id                 bigserial PRIMARY KEY,
    name               text NOT NULL CHECK (name <> ''),
    -- The first characters of the token, so an operator can tell tokens apart in lists and logs.
    prefix             text NOT NULL,
    token_sha256       bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    -- upload: create uploads; read-admin: read the admin API and dashboard; admin: also retry, cancel, delete.
    scopes             text[] NOT NULL CHECK (scopes <> '{}' AND scopes <@ ARRAY['upload', 'read-admin', 'admin']),
    -- Uploads made with the token belong to this tenant ('' = the uploader says, with ?owner=).
    tenant             text NOT NULL DEFAULT '',
    -- New uploads a minute, across every API instance (counted in Redis); NULL = no limit.
    uploads_per_minute int CHECK (uploads_per_minute > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_used_at       timestamptz,
    revoked_at         timestamptz
);
