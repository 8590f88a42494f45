-- Connect tables, PostgreSQL flavour of sqlite/0001_connect.sql: the same
-- tables, keys and indexes. Every foreign-key column leads an index, so
-- cascades and FK checks never scan a table.
--
-- Text that is compared by range or sorted (search texts) is COLLATE "C":
-- comparison by code point, as SQLite's BINARY, whatever the database's
-- collation; the prefix ranges of STARTS_WITH depend on it.

CREATE TABLE instances (
    seq                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id               TEXT NOT NULL,
    id                       TEXT NOT NULL,
    arn                      TEXT NOT NULL,
    alias                    TEXT,
    identity_management_type TEXT NOT NULL,
    inbound_calls_enabled    BOOLEAN NOT NULL,
    outbound_calls_enabled   BOOLEAN NOT NULL,
    tags                     TEXT NOT NULL, -- JSON object
    created_at               BIGINT NOT NULL
);
CREATE UNIQUE INDEX instances_by_account_id ON instances (account_id, id);
CREATE INDEX instances_by_account_seq ON instances (account_id, seq);

CREATE TABLE users (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_seq    BIGINT NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    arn             TEXT NOT NULL,
    username        TEXT NOT NULL,
    settings        TEXT NOT NULL, -- JSON object
    tags            TEXT NOT NULL, -- JSON object
    modified_at     BIGINT NOT NULL,
    modified_region TEXT NOT NULL
);
CREATE UNIQUE INDEX users_by_instance_id ON users (instance_seq, id);
CREATE UNIQUE INDEX users_by_instance_username ON users (instance_seq, username);
-- ListUsers: oldest first within an instance.
CREATE INDEX users_by_instance_seq ON users (instance_seq, seq);

CREATE TABLE notifications (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_seq    BIGINT NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    arn             TEXT NOT NULL,
    content         TEXT NOT NULL, -- JSON object locale -> text
    urgency         BIGINT NOT NULL, -- 0 LOW, 1 HIGH, 2 URGENT
    recipients      TEXT NOT NULL, -- JSON array of ARNs
    broadcast       BOOLEAN NOT NULL,
    tags            TEXT NOT NULL, -- JSON object
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    modified_at     BIGINT NOT NULL,
    modified_region TEXT NOT NULL
);
CREATE UNIQUE INDEX notifications_by_instance_id ON notifications (instance_seq, id);
-- ListNotifications and search results: newest first within an instance.
CREATE INDEX notifications_by_instance_created ON notifications (instance_seq, created_at, seq);
-- Instance-wide notifications in a user's listing order.
CREATE INDEX notifications_broadcast_by_urgency ON notifications (instance_seq, urgency, created_at, seq)
    WHERE broadcast;
-- The sweeper.
CREATE INDEX notifications_by_expiry ON notifications (expires_at);

-- Direct recipients. Urgency, creation and expiry are copied from the
-- notification (they never change) so that a user's listing is one
-- ordered index range.
CREATE TABLE notification_recipients (
    user_seq         BIGINT NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    notification_seq BIGINT NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    urgency          BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    PRIMARY KEY (user_seq, notification_seq)
);
-- expires_at rides along so that skipping expired rows needs no table lookup.
CREATE INDEX recipients_by_user_order ON notification_recipients (user_seq, urgency, created_at, notification_seq, expires_at);
CREATE INDEX recipients_by_notification ON notification_recipients (notification_seq);

-- A user's status for a notification; absent means UNREAD.
CREATE TABLE user_statuses (
    user_seq         BIGINT NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    notification_seq BIGINT NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    modified_at      BIGINT NOT NULL,
    modified_region  TEXT NOT NULL,
    PRIMARY KEY (user_seq, notification_seq)
);
CREATE INDEX user_statuses_by_notification ON user_statuses (notification_seq);

CREATE TABLE notification_tags (
    notification_seq BIGINT NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    instance_seq     BIGINT NOT NULL,
    key              TEXT NOT NULL,
    value            TEXT NOT NULL,
    PRIMARY KEY (notification_seq, key)
);
CREATE INDEX notification_tags_by_pair ON notification_tags (instance_seq, key, value, notification_seq);

-- Searchable texts: one row per locale of the content (field 'content')
-- and one for the id (field 'id'). `folded` is the text case-folded by
-- Herald (Rust's Unicode lower-casing) for the case-insensitive
-- comparisons.
CREATE TABLE search_texts (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_seq BIGINT NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    instance_seq     BIGINT NOT NULL,
    field            TEXT NOT NULL,
    text             TEXT COLLATE "C" NOT NULL,
    folded           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX search_texts_exact ON search_texts (instance_seq, field, text);
CREATE INDEX search_texts_prefix ON search_texts (instance_seq, field, folded);
CREATE INDEX search_texts_by_notification ON search_texts (notification_seq);
-- Trigram index over the folded texts: CONTAINS of three or more
-- characters is an index lookup (LIKE '%…%'). It replaces SQLite's FTS5
-- table and its triggers: PostgreSQL keeps it in step by itself.
CREATE INDEX search_texts_trigram ON search_texts USING gin (folded gin_trgm_ops);

-- Client tokens of CreateNotification, unique per account, kept for a day.
CREATE TABLE client_tokens (
    account_id       TEXT NOT NULL,
    token            TEXT NOT NULL,
    instance_seq     BIGINT NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
    request_digest   TEXT NOT NULL,
    notification_id  TEXT NOT NULL,
    notification_arn TEXT NOT NULL,
    claimed_at       BIGINT NOT NULL,
    PRIMARY KEY (account_id, token)
);
CREATE INDEX client_tokens_by_instance ON client_tokens (instance_seq);
CREATE INDEX client_tokens_by_claimed ON client_tokens (claimed_at);
