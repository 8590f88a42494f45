-- Herald schema, SQLite flavour. Times are epoch milliseconds (INTEGER).
-- Every query the store runs is served by one of the indexes below; none
-- scans a table whose size grows with the whole store.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE instances (
    seq                      INTEGER PRIMARY KEY,
    account_id               TEXT NOT NULL,
    id                       TEXT NOT NULL,
    arn                      TEXT NOT NULL,
    alias                    TEXT,
    identity_management_type TEXT NOT NULL,
    inbound_calls_enabled    INTEGER NOT NULL,
    outbound_calls_enabled   INTEGER NOT NULL,
    tags                     TEXT NOT NULL, -- JSON object
    created_at               INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX instances_by_account_id ON instances (account_id, id);
CREATE INDEX instances_by_account_seq ON instances (account_id, seq);

CREATE TABLE users (
    seq             INTEGER PRIMARY KEY,
    instance_seq    INTEGER NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    arn             TEXT NOT NULL,
    username        TEXT NOT NULL,
    settings        TEXT NOT NULL, -- JSON object
    tags            TEXT NOT NULL, -- JSON object
    modified_at     INTEGER NOT NULL,
    modified_region TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_by_instance_id ON users (instance_seq, id);
CREATE UNIQUE INDEX users_by_instance_username ON users (instance_seq, username);
-- ListUsers: oldest first within an instance.
CREATE INDEX users_by_instance_seq ON users (instance_seq, seq);

CREATE TABLE notifications (
    seq             INTEGER PRIMARY KEY,
    instance_seq    INTEGER NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    arn             TEXT NOT NULL,
    content         TEXT NOT NULL, -- JSON object locale -> text
    urgency         INTEGER NOT NULL, -- 0 LOW, 1 HIGH, 2 URGENT
    recipients      TEXT NOT NULL, -- JSON array of ARNs
    broadcast       INTEGER NOT NULL,
    tags            TEXT NOT NULL, -- JSON object
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    modified_at     INTEGER NOT NULL,
    modified_region TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX notifications_by_instance_id ON notifications (instance_seq, id);
-- ListNotifications and search results: newest first within an instance.
CREATE INDEX notifications_by_instance_created ON notifications (instance_seq, created_at, seq);
-- Instance-wide notifications in a user's listing order.
CREATE INDEX notifications_broadcast_by_urgency ON notifications (instance_seq, urgency, created_at, seq)
    WHERE broadcast = 1;
-- The sweeper.
CREATE INDEX notifications_by_expiry ON notifications (expires_at);

-- Direct recipients. Urgency, creation and expiry are copied from the
-- notification (they never change) so that a user's listing is one
-- ordered index range.
CREATE TABLE notification_recipients (
    user_seq         INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    notification_seq INTEGER NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    urgency          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    PRIMARY KEY (user_seq, notification_seq)
) STRICT, WITHOUT ROWID;
-- expires_at rides along so that skipping expired rows needs no table lookup.
CREATE INDEX recipients_by_user_order ON notification_recipients (user_seq, urgency, created_at, notification_seq, expires_at);
CREATE INDEX recipients_by_notification ON notification_recipients (notification_seq);

-- A user's status for a notification; absent means UNREAD.
CREATE TABLE user_statuses (
    user_seq         INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    notification_seq INTEGER NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    modified_at      INTEGER NOT NULL,
    modified_region  TEXT NOT NULL,
    PRIMARY KEY (user_seq, notification_seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_statuses_by_notification ON user_statuses (notification_seq);

CREATE TABLE notification_tags (
    notification_seq INTEGER NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    instance_seq     INTEGER NOT NULL,
    key              TEXT NOT NULL,
    value            TEXT NOT NULL,
    PRIMARY KEY (notification_seq, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX notification_tags_by_pair ON notification_tags (instance_seq, key, value, notification_seq);

-- Searchable texts: one row per locale of the content (field 'content')
-- and one for the id (field 'id'). `folded` is the text case-folded by
-- Herald (Rust's Unicode lower-casing) for the case-insensitive
-- comparisons.
CREATE TABLE search_texts (
    rowid            INTEGER PRIMARY KEY,
    notification_seq INTEGER NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    instance_seq     INTEGER NOT NULL,
    field            TEXT NOT NULL,
    text             TEXT NOT NULL,
    folded           TEXT NOT NULL
) STRICT;
CREATE INDEX search_texts_exact ON search_texts (instance_seq, field, text);
CREATE INDEX search_texts_prefix ON search_texts (instance_seq, field, folded);
CREATE INDEX search_texts_by_notification ON search_texts (notification_seq);

-- Trigram index over the folded texts: CONTAINS of three or more
-- characters is an index lookup.
CREATE VIRTUAL TABLE search_texts_fts USING fts5 (
    folded,
    content = 'search_texts',
    content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER search_texts_ai AFTER INSERT ON search_texts BEGIN
    INSERT INTO search_texts_fts (rowid, folded) VALUES (new.rowid, new.folded);
END;
CREATE TRIGGER search_texts_ad AFTER DELETE ON search_texts BEGIN
    INSERT INTO search_texts_fts (search_texts_fts, rowid, folded) VALUES ('delete', old.rowid, old.folded);
END;
-- The store never updates search texts in place; this keeps the index
-- right should it ever do so.
CREATE TRIGGER search_texts_au AFTER UPDATE ON search_texts BEGIN
    INSERT INTO search_texts_fts (search_texts_fts, rowid, folded) VALUES ('delete', old.rowid, old.folded);
    INSERT INTO search_texts_fts (rowid, folded) VALUES (new.rowid, new.folded);
END;

-- Client tokens of CreateNotification, unique per account, kept for a day.
CREATE TABLE client_tokens (
    account_id       TEXT NOT NULL,
    token            TEXT NOT NULL,
    instance_seq     INTEGER NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
    request_digest   TEXT NOT NULL,
    notification_id  TEXT NOT NULL,
    notification_arn TEXT NOT NULL,
    claimed_at       INTEGER NOT NULL,
    PRIMARY KEY (account_id, token)
) STRICT;
CREATE INDEX client_tokens_by_instance ON client_tokens (instance_seq);
CREATE INDEX client_tokens_by_claimed ON client_tokens (claimed_at);
