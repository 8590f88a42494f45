-- 0007's triggers each bumped the version, logged the change and pruned
-- the window in three statements, the prune a range per channel. Now each
-- write only logs one row per (channel, user) at the channel's next
-- version; the log's own trigger makes that the channel's version and
-- drops what fell out of the kept window (one version per bump, so exactly
-- one version), both by key. Nothing is logged, nor bumped, for a channel
-- that is itself being deleted: its row is gone when its members' triggers
-- run. The log's trigger is the only writer of audience_version, so the
-- version moves by one per logged change and the exact prune never skips
-- one. (0007 has landed, so it is replaced here rather than edited.)
DROP TRIGGER chime_audience_member_added;
DROP TRIGGER chime_audience_member_removed;
DROP TRIGGER chime_audience_member_changed;
DROP TRIGGER chime_audience_endpoint_added;
DROP TRIGGER chime_audience_endpoint_removed;
DROP TRIGGER chime_audience_endpoint_changed;

CREATE TRIGGER chime_audience_logged AFTER INSERT ON chime_audience_changes BEGIN
    UPDATE chime_channels SET audience_version = new.version WHERE seq = new.channel_seq;
    DELETE FROM chime_audience_changes
        WHERE channel_seq = new.channel_seq AND version = new.version - 1024;
END;
CREATE TRIGGER chime_audience_member_added AFTER INSERT ON chime_memberships BEGIN
    INSERT INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT seq, audience_version + 1, new.user_seq FROM chime_channels WHERE seq = new.channel_seq;
END;
CREATE TRIGGER chime_audience_member_removed AFTER DELETE ON chime_memberships BEGIN
    INSERT INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT seq, audience_version + 1, old.user_seq FROM chime_channels WHERE seq = old.channel_seq;
END;
CREATE TRIGGER chime_audience_member_changed AFTER UPDATE ON chime_memberships BEGIN
    INSERT INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT seq, audience_version + 1, new.user_seq FROM chime_channels WHERE seq = new.channel_seq;
END;
-- An endpoint changes the audience of every channel its user is in.
CREATE TRIGGER chime_audience_endpoint_added AFTER INSERT ON chime_endpoints BEGIN
    INSERT INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT c.seq, c.audience_version + 1, new.user_seq
        FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
        WHERE m.user_seq = new.user_seq;
END;
CREATE TRIGGER chime_audience_endpoint_removed AFTER DELETE ON chime_endpoints BEGIN
    INSERT INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT c.seq, c.audience_version + 1, old.user_seq
        FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
        WHERE m.user_seq = old.user_seq;
END;
CREATE TRIGGER chime_audience_endpoint_changed AFTER UPDATE ON chime_endpoints BEGIN
    INSERT INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT c.seq, c.audience_version + 1, new.user_seq
        FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
        WHERE m.user_seq = new.user_seq;
END;
