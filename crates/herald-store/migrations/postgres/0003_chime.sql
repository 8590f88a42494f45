-- Chime SDK Identity and Messaging, as migrations/sqlite/0002_chime.sql:
-- the same tables, constraints and indexes. Times are epoch milliseconds
-- (BIGINT), every integer is BIGINT, JSON documents are TEXT, flags are
-- BOOLEAN. Deleting an app instance, user or channel takes what hangs off
-- it through ON DELETE CASCADE; every foreign-key column leads an index so
-- that a cascade costs what it deletes. Push deliveries and request claims
-- have no foreign key: they outlive what they refer to. No table refers to
-- the Connect tables.

CREATE TABLE chime_app_instances (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    metadata   TEXT NOT NULL,
    tags       TEXT NOT NULL, -- JSON object
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX chime_app_instances_by_account_id ON chime_app_instances (account_id, id);
CREATE INDEX chime_app_instances_by_account_seq ON chime_app_instances (account_id, seq);

CREATE TABLE chime_users (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_instance_seq BIGINT NOT NULL REFERENCES chime_app_instances (seq) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    name             TEXT NOT NULL,
    metadata         TEXT NOT NULL,
    tags             TEXT NOT NULL, -- JSON object
    created_ms       BIGINT NOT NULL,
    updated_ms       BIGINT NOT NULL
);
CREATE UNIQUE INDEX chime_users_by_app_instance_id ON chime_users (app_instance_seq, user_id);
CREATE INDEX chime_users_by_app_instance_seq ON chime_users (app_instance_seq, seq);

-- A user is in one app instance, so it is an admin of at most one.
CREATE TABLE chime_admins (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_instance_seq BIGINT NOT NULL REFERENCES chime_app_instances (seq) ON DELETE CASCADE,
    user_seq         BIGINT NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    created_ms       BIGINT NOT NULL
);
CREATE UNIQUE INDEX chime_admins_by_user ON chime_admins (user_seq);
CREATE INDEX chime_admins_by_app_instance_seq ON chime_admins (app_instance_seq, seq);

CREATE TABLE chime_endpoints (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_seq          BIGINT NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    endpoint_id       TEXT NOT NULL,
    name              TEXT NOT NULL,
    endpoint_type     TEXT NOT NULL, -- APNS | APNS_SANDBOX | GCM
    resource_arn      TEXT NOT NULL,
    device_token      TEXT NOT NULL,
    voip_device_token TEXT,
    allow_messages    BOOLEAN NOT NULL, -- AllowMessages: true ALL, false NONE
    created_ms        BIGINT NOT NULL,
    updated_ms        BIGINT NOT NULL
);
CREATE UNIQUE INDEX chime_endpoints_by_user_id ON chime_endpoints (user_seq, endpoint_id);
-- Listing, and a member's pushable endpoints in registration order.
CREATE INDEX chime_endpoints_by_user_seq ON chime_endpoints (user_seq, seq);

CREATE TABLE chime_channels (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_instance_seq BIGINT NOT NULL REFERENCES chime_app_instances (seq) ON DELETE CASCADE,
    channel_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    mode             TEXT NOT NULL, -- UNRESTRICTED | RESTRICTED
    privacy          TEXT NOT NULL, -- PUBLIC | PRIVATE
    metadata         TEXT NOT NULL,
    tags             TEXT NOT NULL, -- JSON object
    created_by_arn   TEXT NOT NULL,
    created_by_name  TEXT NOT NULL,
    created_ms       BIGINT NOT NULL,
    updated_ms       BIGINT NOT NULL,
    last_message_ms  BIGINT
);
CREATE UNIQUE INDEX chime_channels_by_app_instance_id ON chime_channels (app_instance_seq, channel_id);
CREATE INDEX chime_channels_by_privacy ON chime_channels (app_instance_seq, privacy, seq);

-- The push preference lives on the membership row, so it goes with it
-- (removal, ban, user or channel delete) without further writes.
CREATE TABLE chime_memberships (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_seq      BIGINT NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    user_seq         BIGINT NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    type             TEXT NOT NULL, -- DEFAULT | HIDDEN
    invited_by_arn   TEXT NOT NULL,
    invited_by_name  TEXT NOT NULL,
    created_ms       BIGINT NOT NULL,
    updated_ms       BIGINT NOT NULL,
    push_allow       TEXT, -- NULL until set; ALL | NONE | FILTERED
    push_filter_rule TEXT  -- set exactly when push_allow is FILTERED
);
CREATE UNIQUE INDEX chime_memberships_by_user ON chime_memberships (channel_seq, user_seq);
CREATE INDEX chime_memberships_by_type ON chime_memberships (channel_seq, type, seq);
CREATE INDEX chime_memberships_of_user ON chime_memberships (user_seq);

CREATE TABLE chime_moderators (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_seq     BIGINT NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    user_seq        BIGINT NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    created_by_arn  TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_ms      BIGINT NOT NULL
);
CREATE UNIQUE INDEX chime_moderators_by_user ON chime_moderators (channel_seq, user_seq);
CREATE INDEX chime_moderators_by_channel_seq ON chime_moderators (channel_seq, seq);
CREATE INDEX chime_moderators_of_user ON chime_moderators (user_seq);

CREATE TABLE chime_bans (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_seq     BIGINT NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    user_seq        BIGINT NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    created_by_arn  TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_ms      BIGINT NOT NULL
);
CREATE UNIQUE INDEX chime_bans_by_user ON chime_bans (channel_seq, user_seq);
CREATE INDEX chime_bans_by_channel_seq ON chime_bans (channel_seq, seq);
CREATE INDEX chime_bans_of_user ON chime_bans (user_seq);

-- Non-persistent messages are kept (for idempotency) but never listed: the
-- listing index holds persistent ones only, so they cost a listing nothing.
CREATE TABLE chime_messages (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_seq  BIGINT NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    message_id   TEXT NOT NULL,
    content      TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    type         TEXT NOT NULL, -- STANDARD | CONTROL
    persistent   BOOLEAN NOT NULL,
    content_type TEXT NOT NULL,
    attributes   TEXT NOT NULL, -- JSON object name -> [values]
    push_type    TEXT, -- NULL: no PushNotification; DEFAULT | VOIP
    push_title   TEXT,
    push_body    TEXT,
    sender_arn   TEXT NOT NULL,
    sender_name  TEXT NOT NULL,
    created_ms   BIGINT NOT NULL
);
CREATE UNIQUE INDEX chime_messages_by_id ON chime_messages (channel_seq, message_id);
-- ListChannelMessages in either order, bounded by time.
CREATE INDEX chime_messages_by_created ON chime_messages (channel_seq, created_ms, seq)
    WHERE persistent;

-- The log of pushes: no foreign key, it outlives channel and message.
CREATE TABLE chime_push_deliveries (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id     TEXT NOT NULL,
    member_arn      TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    device_token    TEXT NOT NULL,
    channel_arn     TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    title           TEXT,
    body            TEXT,
    push_type       TEXT NOT NULL, -- DEFAULT | VOIP
    created_ms      BIGINT NOT NULL,
    state           TEXT NOT NULL, -- PENDING | DELIVERED | RECORDED
    attempts        BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL -- when due again, or when the lease ends
);
CREATE UNIQUE INDEX chime_push_deliveries_by_id ON chime_push_deliveries (delivery_id);
CREATE INDEX chime_push_deliveries_by_message ON chime_push_deliveries (channel_arn, message_id, seq);
-- The delivery worker's queue: only pending rows, oldest due first.
CREATE INDEX chime_push_deliveries_due ON chime_push_deliveries (next_attempt_ms, seq)
    WHERE state = 'PENDING';

-- ClientRequestToken claims, scoped to account and operation, kept for a
-- day. `resource_id` is the id the first request created.
CREATE TABLE chime_request_claims (
    account_id     TEXT NOT NULL,
    operation      TEXT NOT NULL,
    token          TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    claimed_ms     BIGINT NOT NULL,
    PRIMARY KEY (account_id, operation, token)
);
CREATE INDEX chime_request_claims_by_claimed ON chime_request_claims (claimed_ms);
