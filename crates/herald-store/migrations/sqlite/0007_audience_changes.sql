-- Which users' place in a channel's push audience each audience version
-- changed, so that a node holding the audience as of an older version
-- reads only those members again instead of every member. Kept for the
-- last 1,024 versions of each channel; an audience older than that is read
-- whole. Written by the same triggers that bump the version, so no write
-- path can miss one.
CREATE TABLE chime_audience_changes (
    channel_seq INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    user_seq    INTEGER NOT NULL,
    PRIMARY KEY (channel_seq, version, user_seq)
) STRICT, WITHOUT ROWID;

DROP TRIGGER chime_audience_member_added;
DROP TRIGGER chime_audience_member_removed;
DROP TRIGGER chime_audience_member_changed;
DROP TRIGGER chime_audience_endpoint_added;
DROP TRIGGER chime_audience_endpoint_removed;
DROP TRIGGER chime_audience_endpoint_changed;

-- The version is bumped, the change logged at the new version (nothing
-- when the channel itself is being deleted), and what fell out of the kept
-- window dropped; each by the primary key. Every bump is by one and drops
-- what is now 1,024 versions old, so an endpoint's triggers (one channel
-- per membership of its user) drop exactly that version rather than a
-- range per channel.
CREATE TRIGGER chime_audience_member_added AFTER INSERT ON chime_memberships BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1 WHERE seq = new.channel_seq;
    INSERT OR IGNORE INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT seq, audience_version, new.user_seq FROM chime_channels WHERE seq = new.channel_seq;
    DELETE FROM chime_audience_changes WHERE channel_seq = new.channel_seq
        AND version <= (SELECT audience_version FROM chime_channels WHERE seq = new.channel_seq) - 1024;
END;
CREATE TRIGGER chime_audience_member_removed AFTER DELETE ON chime_memberships BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1 WHERE seq = old.channel_seq;
    INSERT OR IGNORE INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT seq, audience_version, old.user_seq FROM chime_channels WHERE seq = old.channel_seq;
    DELETE FROM chime_audience_changes WHERE channel_seq = old.channel_seq
        AND version <= (SELECT audience_version FROM chime_channels WHERE seq = old.channel_seq) - 1024;
END;
CREATE TRIGGER chime_audience_member_changed AFTER UPDATE ON chime_memberships BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1 WHERE seq = new.channel_seq;
    INSERT OR IGNORE INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT seq, audience_version, new.user_seq FROM chime_channels WHERE seq = new.channel_seq;
    DELETE FROM chime_audience_changes WHERE channel_seq = new.channel_seq
        AND version <= (SELECT audience_version FROM chime_channels WHERE seq = new.channel_seq) - 1024;
END;
-- An endpoint changes the audience of every channel its user is in.
CREATE TRIGGER chime_audience_endpoint_added AFTER INSERT ON chime_endpoints BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT channel_seq FROM chime_memberships WHERE user_seq = new.user_seq);
    INSERT OR IGNORE INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT c.seq, c.audience_version, new.user_seq
        FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
        WHERE m.user_seq = new.user_seq;
    DELETE FROM chime_audience_changes WHERE (channel_seq, version) IN
        (SELECT c.seq, c.audience_version - 1024
         FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
         WHERE m.user_seq = new.user_seq);
END;
CREATE TRIGGER chime_audience_endpoint_removed AFTER DELETE ON chime_endpoints BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT channel_seq FROM chime_memberships WHERE user_seq = old.user_seq);
    INSERT OR IGNORE INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT c.seq, c.audience_version, old.user_seq
        FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
        WHERE m.user_seq = old.user_seq;
    DELETE FROM chime_audience_changes WHERE (channel_seq, version) IN
        (SELECT c.seq, c.audience_version - 1024
         FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
         WHERE m.user_seq = old.user_seq);
END;
CREATE TRIGGER chime_audience_endpoint_changed AFTER UPDATE ON chime_endpoints BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT channel_seq FROM chime_memberships WHERE user_seq = new.user_seq);
    INSERT OR IGNORE INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT c.seq, c.audience_version, new.user_seq
        FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
        WHERE m.user_seq = new.user_seq;
    DELETE FROM chime_audience_changes WHERE (channel_seq, version) IN
        (SELECT c.seq, c.audience_version - 1024
         FROM chime_memberships m JOIN chime_channels c ON c.seq = m.channel_seq
         WHERE m.user_seq = new.user_seq);
END;
-- A deleted channel's log goes with it (its seq may be handed out again).
CREATE TRIGGER chime_audience_channel_deleted AFTER DELETE ON chime_channels BEGIN
    DELETE FROM chime_audience_changes WHERE channel_seq = old.seq;
END;
