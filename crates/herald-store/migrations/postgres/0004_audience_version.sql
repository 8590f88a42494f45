-- Bumped in the same transaction as every write that changes who a push
-- in the channel reaches (members, their preferences, their endpoints), so
-- that a push audience kept in memory is known current by one row read.
ALTER TABLE chime_channels ADD COLUMN audience_version BIGINT NOT NULL DEFAULT 0;

-- Triggers, so that no write path (cascades included) can miss a bump;
-- per statement, so that adding a hundred members bumps their channel once.
CREATE FUNCTION chime_bump_channels_of_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT channel_seq FROM changed);
    RETURN NULL;
END
$$;
CREATE TRIGGER chime_audience_members_added AFTER INSERT ON chime_memberships
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION chime_bump_channels_of_memberships();
CREATE TRIGGER chime_audience_members_removed AFTER DELETE ON chime_memberships
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION chime_bump_channels_of_memberships();
CREATE TRIGGER chime_audience_members_changed AFTER UPDATE ON chime_memberships
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION chime_bump_channels_of_memberships();

-- An endpoint changes the audience of every channel its user is in.
CREATE FUNCTION chime_bump_channels_of_endpoint_users() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT m.channel_seq FROM chime_memberships m
                  WHERE m.user_seq IN (SELECT user_seq FROM changed));
    RETURN NULL;
END
$$;
CREATE TRIGGER chime_audience_endpoints_added AFTER INSERT ON chime_endpoints
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION chime_bump_channels_of_endpoint_users();
CREATE TRIGGER chime_audience_endpoints_removed AFTER DELETE ON chime_endpoints
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION chime_bump_channels_of_endpoint_users();
CREATE TRIGGER chime_audience_endpoints_changed AFTER UPDATE ON chime_endpoints
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION chime_bump_channels_of_endpoint_users();
