-- How many notifications each instance holds (expired ones too, until the
-- sweeper deletes them), kept by triggers inside every insert and delete,
-- so that searching a large instance can tell it is large (and estimate
-- its ApproximateTotalCount) without counting its rows.
ALTER TABLE instances ADD COLUMN notification_count INTEGER NOT NULL DEFAULT 0;
UPDATE instances SET notification_count =
    (SELECT count(*) FROM notifications n WHERE n.instance_seq = instances.seq);
CREATE TRIGGER notifications_count_ai AFTER INSERT ON notifications BEGIN
    UPDATE instances SET notification_count = notification_count + 1 WHERE seq = new.instance_seq;
END;
CREATE TRIGGER notifications_count_ad AFTER DELETE ON notifications BEGIN
    UPDATE instances SET notification_count = notification_count - 1 WHERE seq = old.instance_seq;
END;
