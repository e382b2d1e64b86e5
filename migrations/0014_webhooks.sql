-- Webhooks (docs/webhooks.md): a tenant's endpoints, the events Reel reports
-- to them, and every delivery attempt. An event is written in the transaction
-- of the change it reports, with one `webhook.deliver` job per endpoint that
-- wants it (queue `webhooks`); the job's attempts are recorded here.

CREATE TABLE webhook_endpoints (
    id              bigserial PRIMARY KEY,
    tenant          text NOT NULL DEFAULT '',
    url             text NOT NULL CHECK (url ~ '^https?://'),
    -- The event types it receives, e.g. {video.ready,video.failed}.
    events          text[] NOT NULL CHECK (events <> '{}'),
    description     text NOT NULL DEFAULT '',
    -- Standard Webhooks secrets (whsec_ + base64 of 32 random bytes): requests
    -- are signed with `secret` and, until previous_until, with `previous_secret` too.
    secret          text NOT NULL CHECK (secret LIKE 'whsec\_%'),
    previous_secret text,
    previous_until  timestamptz,
    -- The start of the current run of failed deliveries (NULL after a success).
    failing_since   timestamptz,
    -- Set when it failed for longer than the workers' disable-after; deliveries stop until it is enabled by hand.
    disabled_at     timestamptz,
    disabled_reason text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant);

CREATE TABLE webhook_events (
    -- The Standard Webhooks message id (webhook-id), the same on every retry.
    id          text PRIMARY KEY,
    tenant      text NOT NULL DEFAULT '',
    type        text NOT NULL,
    -- The body every delivery sends, byte for byte: {"type", "timestamp", "data"}.
    payload     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_created ON webhook_events (created_at);

CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    event_id     text NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id  bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    attempt      int NOT NULL,
    -- The HTTP status, or NULL when no answer came (refused address, timeout, connection error).
    status       int,
    latency_ms   double precision NOT NULL,
    -- The first bytes of the answer's body, or why there was none.
    response     text NOT NULL DEFAULT '',
    succeeded    boolean NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, at DESC);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id);

-- `reel report webhook_attempts`: each endpoint's deliveries in the last day.
CREATE VIEW reel_report_webhook_attempts AS
SELECT e.id AS endpoint, e.tenant, e.url,
       CASE WHEN e.disabled_at IS NOT NULL THEN 'disabled' WHEN e.failing_since IS NOT NULL THEN 'failing' ELSE 'ok' END AS state,
       count(a.id) AS attempts,
       count(a.id) FILTER (WHERE a.succeeded) AS succeeded,
       count(a.id) FILTER (WHERE NOT a.succeeded) AS failed,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY a.latency_ms)::numeric, 1) AS p50_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY a.latency_ms)::numeric, 1) AS p99_ms,
       max(a.at) AS last_attempt
FROM webhook_endpoints e
LEFT JOIN webhook_attempts a ON a.endpoint_id = e.id AND a.at > now() - interval '1 day'
GROUP BY e.id ORDER BY e.id;
