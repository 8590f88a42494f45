-- Chime SDK Identity and Messaging. Times are epoch milliseconds (INTEGER).
-- As in 0001, every query is served by an index below. Deleting an app
-- instance, user or channel takes what hangs off it through ON DELETE
-- CASCADE; every foreign-key column leads an index so that a cascade costs
-- what it deletes. Push deliveries and request claims have no foreign key:
-- they outlive what they refer to.

CREATE TABLE chime_app_instances (
    seq        INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    metadata   TEXT NOT NULL,
    tags       TEXT NOT NULL, -- JSON object
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX chime_app_instances_by_account_id ON chime_app_instances (account_id, id);
CREATE INDEX chime_app_instances_by_account_seq ON chime_app_instances (account_id, seq);

CREATE TABLE chime_users (
    seq              INTEGER PRIMARY KEY,
    app_instance_seq INTEGER NOT NULL REFERENCES chime_app_instances (seq) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    name             TEXT NOT NULL,
    metadata         TEXT NOT NULL,
    tags             TEXT NOT NULL, -- JSON object
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX chime_users_by_app_instance_id ON chime_users (app_instance_seq, user_id);
CREATE INDEX chime_users_by_app_instance_seq ON chime_users (app_instance_seq, seq);

-- A user is in one app instance, so it is an admin of at most one.
CREATE TABLE chime_admins (
    seq              INTEGER PRIMARY KEY,
    app_instance_seq INTEGER NOT NULL REFERENCES chime_app_instances (seq) ON DELETE CASCADE,
    user_seq         INTEGER NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    created_ms       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX chime_admins_by_user ON chime_admins (user_seq);
CREATE INDEX chime_admins_by_app_instance_seq ON chime_admins (app_instance_seq, seq);

CREATE TABLE chime_endpoints (
    seq               INTEGER PRIMARY KEY,
    user_seq          INTEGER NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    endpoint_id       TEXT NOT NULL,
    name              TEXT NOT NULL,
    endpoint_type     TEXT NOT NULL, -- APNS | APNS_SANDBOX | GCM
    resource_arn      TEXT NOT NULL,
    device_token      TEXT NOT NULL,
    voip_device_token TEXT,
    allow_messages    INTEGER NOT NULL, -- AllowMessages: 1 ALL, 0 NONE
    created_ms        INTEGER NOT NULL,
    updated_ms        INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX chime_endpoints_by_user_id ON chime_endpoints (user_seq, endpoint_id);
-- Listing, and a member's pushable endpoints in registration order.
CREATE INDEX chime_endpoints_by_user_seq ON chime_endpoints (user_seq, seq);

CREATE TABLE chime_channels (
    seq              INTEGER PRIMARY KEY,
    app_instance_seq INTEGER NOT NULL REFERENCES chime_app_instances (seq) ON DELETE CASCADE,
    channel_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    mode             TEXT NOT NULL, -- UNRESTRICTED | RESTRICTED
    privacy          TEXT NOT NULL, -- PUBLIC | PRIVATE
    metadata         TEXT NOT NULL,
    tags             TEXT NOT NULL, -- JSON object
    created_by_arn   TEXT NOT NULL,
    created_by_name  TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL,
    last_message_ms  INTEGER
) STRICT;
CREATE UNIQUE INDEX chime_channels_by_app_instance_id ON chime_channels (app_instance_seq, channel_id);
CREATE INDEX chime_channels_by_privacy ON chime_channels (app_instance_seq, privacy, seq);

-- The push preference lives on the membership row, so it goes with it
-- (removal, ban, user or channel delete) without further writes.
CREATE TABLE chime_memberships (
    seq              INTEGER PRIMARY KEY,
    channel_seq      INTEGER NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    user_seq         INTEGER NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    type             TEXT NOT NULL, -- DEFAULT | HIDDEN
    invited_by_arn   TEXT NOT NULL,
    invited_by_name  TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL,
    push_allow       TEXT, -- NULL until set; ALL | NONE | FILTERED
    push_filter_rule TEXT  -- set exactly when push_allow is FILTERED
) STRICT;
CREATE UNIQUE INDEX chime_memberships_by_user ON chime_memberships (channel_seq, user_seq);
CREATE INDEX chime_memberships_by_type ON chime_memberships (channel_seq, type, seq);
CREATE INDEX chime_memberships_of_user ON chime_memberships (user_seq);

CREATE TABLE chime_moderators (
    seq             INTEGER PRIMARY KEY,
    channel_seq     INTEGER NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    user_seq        INTEGER NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    created_by_arn  TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_ms      INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX chime_moderators_by_user ON chime_moderators (channel_seq, user_seq);
CREATE INDEX chime_moderators_by_channel_seq ON chime_moderators (channel_seq, seq);
CREATE INDEX chime_moderators_of_user ON chime_moderators (user_seq);

CREATE TABLE chime_bans (
    seq             INTEGER PRIMARY KEY,
    channel_seq     INTEGER NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    user_seq        INTEGER NOT NULL REFERENCES chime_users (seq) ON DELETE CASCADE,
    created_by_arn  TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_ms      INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX chime_bans_by_user ON chime_bans (channel_seq, user_seq);
CREATE INDEX chime_bans_by_channel_seq ON chime_bans (channel_seq, seq);
CREATE INDEX chime_bans_of_user ON chime_bans (user_seq);

-- Non-persistent messages are kept (for idempotency) but never listed: the
-- listing index holds persistent ones only, so they cost a listing nothing.
CREATE TABLE chime_messages (
    seq          INTEGER PRIMARY KEY,
    channel_seq  INTEGER NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    message_id   TEXT NOT NULL,
    content      TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    type         TEXT NOT NULL, -- STANDARD | CONTROL
    persistent   INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    attributes   TEXT NOT NULL, -- JSON object name -> [values]
    push_type    TEXT, -- NULL: no PushNotification; DEFAULT | VOIP
    push_title   TEXT,
    push_body    TEXT,
    sender_arn   TEXT NOT NULL,
    sender_name  TEXT NOT NULL,
    created_ms   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX chime_messages_by_id ON chime_messages (channel_seq, message_id);
-- ListChannelMessages in either order, bounded by time.
CREATE INDEX chime_messages_by_created ON chime_messages (channel_seq, created_ms, seq)
    WHERE persistent = 1;

-- The log of pushes: no foreign key, it outlives channel and message.
CREATE TABLE chime_push_deliveries (
    seq             INTEGER PRIMARY KEY,
    delivery_id     TEXT NOT NULL,
    member_arn      TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    device_token    TEXT NOT NULL,
    channel_arn     TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    title           TEXT,
    body            TEXT,
    push_type       TEXT NOT NULL, -- DEFAULT | VOIP
    created_ms      INTEGER NOT NULL,
    state           TEXT NOT NULL, -- PENDING | DELIVERED | RECORDED
    attempts        INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL -- when due again, or when the lease ends
) STRICT;
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
    claimed_ms     INTEGER NOT NULL,
    PRIMARY KEY (account_id, operation, token)
) STRICT;
CREATE INDEX chime_request_claims_by_claimed ON chime_request_claims (claimed_ms);
