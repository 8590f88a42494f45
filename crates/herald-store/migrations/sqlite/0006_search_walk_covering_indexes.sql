-- A large instance's search walks its newest notifications and tests
-- each against its own texts (search_probe.rs). With expires_at in the
-- created index and the folded text in the by-notification index, both
-- steps read an index alone: a notification's row is read only when it
-- matches. (ListNotifications walks the created index too.)
DROP INDEX notifications_by_instance_created;
CREATE INDEX notifications_by_instance_created ON notifications (instance_seq, created_at, seq, expires_at);
DROP INDEX search_texts_by_notification;
CREATE INDEX search_texts_by_notification ON search_texts (notification_seq, field, folded);
