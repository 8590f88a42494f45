-- Which users' place in a channel's push audience each audience version
-- changed, so that a node holding the audience as of an older version
-- reads only those members again instead of every member. Kept for the
-- last 1,024 versions of each channel; an audience older than that is read
-- whole. Written by the same triggers that bump the version, so no write
-- path can miss one.
CREATE TABLE chime_audience_changes (
    channel_seq BIGINT NOT NULL REFERENCES chime_channels (seq) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    user_seq    BIGINT NOT NULL,
    PRIMARY KEY (channel_seq, version, user_seq)
);

-- Logs each changed user of each bumped channel at the channel's new
-- version, and drops what fell out of the kept window. Takes the
-- (channel_seq, user_seq) pairs that changed.
CREATE FUNCTION chime_log_audience_changes(pairs_channel BIGINT[], pairs_user BIGINT[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chime_audience_changes (channel_seq, version, user_seq)
    SELECT DISTINCT c.seq, c.audience_version, p.user_seq
    FROM unnest(pairs_channel, pairs_user) AS p (channel_seq, user_seq)
    JOIN chime_channels c ON c.seq = p.channel_seq
    ON CONFLICT DO NOTHING;
    DELETE FROM chime_audience_changes l USING chime_channels c
    WHERE c.seq = ANY (pairs_channel) AND l.channel_seq = c.seq
      AND l.version <= c.audience_version - 1024;
END
$$;

-- A membership's writes also read its users' endpoints. An endpoint write
-- reads its user's memberships to know which channels to bump; a member
-- joining concurrently is not among them, and a node that reads the
-- audience between the two commits would keep the joiner's old endpoints
-- (the change log names the joiner only once). Reading the endpoints here
-- makes the two SERIALIZABLE transactions conflict both ways, so
-- PostgreSQL rolls one back (and the store retries it) instead.
CREATE OR REPLACE FUNCTION chime_bump_channels_of_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    channels BIGINT[];
    users BIGINT[];
BEGIN
    PERFORM 1 FROM chime_endpoints WHERE user_seq IN (SELECT user_seq FROM changed);
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT channel_seq FROM changed);
    SELECT array_agg(channel_seq), array_agg(user_seq) INTO channels, users FROM changed;
    PERFORM chime_log_audience_changes(channels, users);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chime_bump_channels_of_endpoint_users() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    channels BIGINT[];
    users BIGINT[];
BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq IN (SELECT m.channel_seq FROM chime_memberships m
                  WHERE m.user_seq IN (SELECT user_seq FROM changed));
    SELECT array_agg(m.channel_seq), array_agg(m.user_seq) INTO channels, users
    FROM chime_memberships m WHERE m.user_seq IN (SELECT user_seq FROM changed);
    PERFORM chime_log_audience_changes(channels, users);
    RETURN NULL;
END
$$;
