-- Direct recipients keyed in a user's listing order. The table was keyed
-- (user_seq, notification_seq) with a second index in listing order: two
-- B-trees keyed by user, so each create wrote a page at a random place in
-- each (about 21 of a create commit's 97 WAL pages went to the second).
-- Keyed in listing order, the table is that index; lookups by notification
-- (the status write's check, ON DELETE CASCADE) use one keyed by
-- notification, whose new rows go at its end. Urgency and creation never
-- change, so the key is stable; the unique index keeps one row per user
-- and notification.
CREATE TABLE notification_recipients_keyed (
    user_seq         INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    notification_seq INTEGER NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    urgency          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    PRIMARY KEY (user_seq, urgency, created_at, notification_seq)
) STRICT, WITHOUT ROWID;
INSERT INTO notification_recipients_keyed (user_seq, notification_seq, urgency, created_at, expires_at)
    SELECT user_seq, notification_seq, urgency, created_at, expires_at FROM notification_recipients
    ORDER BY user_seq, urgency, created_at, notification_seq;
-- Nothing refers to the recipients table, so it can go before its
-- successor takes its name.
DROP TABLE notification_recipients;
ALTER TABLE notification_recipients_keyed RENAME TO notification_recipients;
CREATE UNIQUE INDEX recipients_by_notification ON notification_recipients (notification_seq, user_seq);
