-- The append-only audit log (DOMAIN.md R2), the daily plaintext-reveal
-- counters (R4) and the platform's settings.

CREATE TABLE audit_log (
    id {{ID}},
    shop_id BIGINT,
    at {{TIME}} NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('USER', 'API_TOKEN', 'ANONYMOUS', 'SYSTEM')),
    actor_user_id BIGINT,
    actor_token_id BIGINT,
    actor_name TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    action TEXT NOT NULL,
    object_ids TEXT NOT NULL,
    outcome TEXT NOT NULL,
    sensitive BOOLEAN NOT NULL
);

CREATE INDEX audit_log_shop_idx ON audit_log (shop_id, id DESC);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE TABLE reveal_usage (
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    day TEXT NOT NULL,
    used BIGINT NOT NULL CHECK (used >= 0),
    PRIMARY KEY (shop_id, day)
);

CREATE TABLE platform_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    reveal_daily_quota BIGINT NOT NULL CHECK (reveal_daily_quota >= 0),
    updated_at {{TIME}} NOT NULL
);
