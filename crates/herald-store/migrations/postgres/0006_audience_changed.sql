-- 0005's triggers bumped the versions themselves and then called the log
-- function, and an endpoint write read its user's memberships twice. Now
-- one function bumps, logs and prunes, each trigger reads what changed
-- once, and only a join reads the user's endpoints. (0005 has landed, so
-- it is replaced here rather than edited.)
CREATE FUNCTION chime_audience_changed(pairs_channel BIGINT[], pairs_user BIGINT[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE chime_channels SET audience_version = audience_version + 1
    WHERE seq = ANY (pairs_channel);
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

-- A member's join also reads the user's endpoints. An endpoint write
-- reads its user's memberships to know which channels changed; a member
-- joining concurrently is not among them, and a node that reads the
-- audience between the two commits would keep the joiner's old endpoints
-- (the change log names the joiner only once). Reading the endpoints here
-- makes the two SERIALIZABLE transactions conflict both ways, so
-- PostgreSQL rolls one back (and the store retries it) instead. Only a
-- join needs it: a member already there is in the endpoint write's view.
CREATE OR REPLACE FUNCTION chime_bump_channels_of_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    channels BIGINT[];
    users BIGINT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM chime_endpoints WHERE user_seq IN (SELECT user_seq FROM changed);
    END IF;
    SELECT array_agg(channel_seq), array_agg(user_seq) INTO channels, users FROM changed;
    PERFORM chime_audience_changed(channels, users);
    RETURN NULL;
END
$$;

-- An endpoint changes the audience of every channel its user is in.
CREATE OR REPLACE FUNCTION chime_bump_channels_of_endpoint_users() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    channels BIGINT[];
    users BIGINT[];
BEGIN
    SELECT array_agg(m.channel_seq), array_agg(m.user_seq) INTO channels, users
    FROM chime_memberships m WHERE m.user_seq IN (SELECT user_seq FROM changed);
    PERFORM chime_audience_changed(channels, users);
    RETURN NULL;
END
$$;

DROP FUNCTION chime_log_audience_changes(BIGINT[], BIGINT[]);
