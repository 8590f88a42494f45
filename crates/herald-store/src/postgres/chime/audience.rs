//! The audience of a push: every member of the channel with their
//! preference and pushable endpoints, whole or as what changed since a
//! version.
//!
//! One read, aggregated by PostgreSQL into a single JSON text, as on
//! SQLite: handing ten thousand rows across sqlx one by one costs far more
//! in per-value overhead than one text value and a serde parse. The SQL is
//! left unordered (no sort in the database); decoding puts the rows in
//! membership order.
//!
//! The user and the endpoints are looked up per member by index, in
//! LATERAL subqueries that `OFFSET 0` keeps the planner from flattening.
//! Left to itself it hash-joins the whole user and endpoint tables even for
//! a channel of thirty in a store of a few thousand users (cheap there, but
//! a cost that follows the store); with the lookups the cost follows the
//! channel, and a 10,000-member channel is no slower for it (tens of
//! milliseconds either way).

use crate::chime::audience::{
    audience_changes_from_json, audience_row_columns, push_audience_from_json,
};
use crate::chime::{AudienceChanges, PushAudience};
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;

/// The members' rows as the array [`push_audience_from_json`] reads, over
/// the memberships `m` that `$memberships` (a `FROM` item) names.
macro_rules! audience_rows {
    ($memberships:literal) => {
        concat!(
            "COALESCE(json_agg(json_build_array(",
            audience_row_columns!("u.seq, u.user_id"),
            "))::text, '[]') FROM ",
            $memberships,
            " CROSS JOIN LATERAL (SELECT seq, user_id FROM chime_users \
             WHERE seq = m.user_seq OFFSET 0) u \
             LEFT JOIN LATERAL (SELECT seq, endpoint_id, device_token, voip_device_token \
             FROM chime_endpoints WHERE user_seq = m.user_seq AND allow_messages OFFSET 0) e \
             ON true "
        )
    };
}

/// The channel's audience version, and one (member, endpoint) pair, or a
/// member without a pushable endpoint (the endpoint columns null); one
/// statement, so both come from one snapshot. Bind: channel.
pub(super) const PUSH_AUDIENCE_SQL: &str = concat!(
    "SELECT COALESCE((SELECT audience_version FROM chime_channels WHERE seq = $1), 0), ",
    audience_rows!("chime_memberships m"),
    "WHERE m.channel_seq = $1"
);

/// The channel's audience version; whether the change log still holds the
/// version asked about (so holds everything after it: the triggers drop
/// the oldest versions first); the users logged after it; and their rows.
/// One statement, one snapshot. Bind: channel, version. The changed users
/// drive the membership lookups (a LATERAL that `OFFSET 0` keeps apart):
/// a generic plan, which cannot know how few users changed, otherwise
/// walks every membership of the channel, or of the store, by index.
pub(super) const PUSH_AUDIENCE_CHANGES_SQL: &str = concat!(
    "SELECT COALESCE((SELECT audience_version FROM chime_channels WHERE seq = $1), 0), \
     EXISTS (SELECT 1 FROM chime_audience_changes WHERE channel_seq = $1 AND version = $2), \
     COALESCE((SELECT json_agg(DISTINCT user_seq)::text FROM chime_audience_changes \
     WHERE channel_seq = $1 AND version > $2), '[]'), \
     (SELECT ",
    audience_rows!(
        "(SELECT DISTINCT user_seq FROM chime_audience_changes \
         WHERE channel_seq = $1 AND version > $2) c \
         CROSS JOIN LATERAL (SELECT seq, user_seq, push_allow, push_filter_rule \
         FROM chime_memberships WHERE channel_seq = $1 AND user_seq = c.user_seq OFFSET 0) m"
    ),
    ")"
);

impl PgStore {
    pub(super) async fn push_audience_impl(&self, channel_seq: i64) -> PgResult<PushAudience> {
        let (version, text): (i64, String) = sqlx::query_as(PUSH_AUDIENCE_SQL)
            .bind(channel_seq)
            .fetch_one(&self.pool)
            .await?;
        Ok(PushAudience::read(version, push_audience_from_json(&text)?))
    }

    pub(super) async fn push_audience_changes_impl(
        &self,
        channel_seq: i64,
        since_version: i64,
    ) -> PgResult<Option<AudienceChanges>> {
        let (version, logged, users, rows): (i64, bool, String, String) =
            sqlx::query_as(PUSH_AUDIENCE_CHANGES_SQL)
                .bind(channel_seq)
                .bind(since_version)
                .fetch_one(&self.pool)
                .await?;
        Ok(audience_changes_from_json(
            since_version,
            version,
            logged,
            &users,
            &rows,
        )?)
    }
}
