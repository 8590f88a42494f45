-- Bumped in the same transaction as every write that changes who a push
-- in the channel reaches (members, their preferences, their endpoints), so
-- that a push audience kept in memory is known current by one row read.
ALTER TABLE chime_channels ADD COLUMN audience_version INTEGER NOT NULL DEFAULT 0;

-- Triggers, so that no write path (cascades included) can miss a bump.
CREATE TRIGGER chime_audience_member_added AFTER INSERT ON chime_memberships BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1 WHERE seq = new.channel_seq;
END;
CREATE TRIGGER chime_audience_member_removed AFTER DELETE ON chime_memberships BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1 WHERE seq = old.channel_seq;
END;
CREATE TRIGGER chime_audience_member_changed AFTER UPDATE ON chime_memberships BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1 WHERE seq = new.channel_seq;
END;
-- An endpoint changes the audience of every channel its user is in.
CREATE TRIGGER chime_audience_endpoint_added AFTER INSERT ON chime_endpoints BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT channel_seq FROM chime_memberships WHERE user_seq = new.user_seq);
END;
CREATE TRIGGER chime_audience_endpoint_removed AFTER DELETE ON chime_endpoints BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT channel_seq FROM chime_memberships WHERE user_seq = old.user_seq);
END;
CREATE TRIGGER chime_audience_endpoint_changed AFTER UPDATE ON chime_endpoints BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT channel_seq FROM chime_memberships WHERE user_seq = new.user_seq);
END;
