-- A push audience (sqlite/chime/audience.rs) is read from two indexes
-- alone: each membership with its user's id and its preference, and each
-- member's pushable endpoints, so that a ten-thousand-member channel is
-- two index walks and a seek per member, not a membership row, a user row
-- and an endpoint row read per member besides. An app instance user's id
-- never changes, so the membership's copy of it is written once, when the
-- membership is.
ALTER TABLE chime_memberships ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
-- Filling the copy is no change to any audience: the trigger that logs a
-- changed membership is set aside for it.
DROP TRIGGER chime_audience_member_changed;
UPDATE chime_memberships SET user_id =
    (SELECT u.user_id FROM chime_users u WHERE u.seq = chime_memberships.user_seq);
CREATE TRIGGER chime_audience_member_changed AFTER UPDATE ON chime_memberships BEGIN
    INSERT INTO chime_audience_changes (channel_seq, version, user_seq)
        SELECT seq, audience_version + 1, new.user_seq FROM chime_channels WHERE seq = new.channel_seq;
END;
CREATE INDEX chime_memberships_audience
    ON chime_memberships (channel_seq, user_seq, user_id, push_allow, push_filter_rule);
CREATE INDEX chime_endpoints_pushable
    ON chime_endpoints (user_seq, allow_messages, seq, endpoint_id, device_token, voip_device_token);
