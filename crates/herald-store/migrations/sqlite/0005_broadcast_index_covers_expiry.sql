-- A user's listing walks the instance's broadcasts in listing order and
-- skips the expired ones; with expires_at in the index that walk reads
-- the index alone, as the direct recipients' range already does, and the
-- notification row is read only for the page's own entries.
DROP INDEX notifications_broadcast_by_urgency;
CREATE INDEX notifications_broadcast_by_urgency ON notifications (instance_seq, urgency, created_at, seq, expires_at)
    WHERE broadcast = 1;
