//! `EXPLAIN` of the Chime queries whose cost must not follow the store's
//! size, for the PostgreSQL tests (which assert that no plan scans a big
//! table). The SQL is private, so the store explains it itself; this is
//! test support, not part of the store's interface.

use jiff::Timestamp;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Postgres, QueryBuilder, Row};

use super::audience::{PUSH_AUDIENCE_CHANGES_SQL, PUSH_AUDIENCE_SQL};
use super::channels::STANDING_SQL;
use super::deliveries::{claim_due_sql, list_deliveries_sql};
use super::memberships::{get_membership_sql, list_memberships_sql};
use super::messages::push_list_messages;
use crate::chime::{MembershipType, MessageCursor, MessageQuery};
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;
use crate::rows::ms;
use crate::{StoreError, StoreResult};

const EXPLAIN: &str = "EXPLAIN (FORMAT JSON) ";

/// Existing rows to point the explained queries at: the planner sees the
/// bound values, as it does for real calls.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct ExplainTarget {
    pub app_instance_seq: i64,
    pub channel_seq: i64,
    pub user_seq: i64,
    /// A message with deliveries.
    pub channel_arn: String,
    pub message_id: String,
    /// When deliveries are claimed.
    pub now: Timestamp,
}

impl PgStore {
    /// `(query name, EXPLAIN (FORMAT JSON) output)` for each hot query.
    #[doc(hidden)]
    pub async fn explain_chime_hot_queries(
        &self,
        target: &ExplainTarget,
    ) -> StoreResult<Vec<(String, String)>> {
        self.run(self.explain_impl(target)).await
    }

    async fn explain_impl(&self, target: &ExplainTarget) -> PgResult<Vec<(String, String)>> {
        let audience = format!("{EXPLAIN}{PUSH_AUDIENCE_SQL}");
        let audience_changes = format!("{EXPLAIN}{PUSH_AUDIENCE_CHANGES_SQL}");
        let standing = format!("{EXPLAIN}{STANDING_SQL}");
        let membership = format!("{EXPLAIN}{}", get_membership_sql());
        let memberships = format!("{EXPLAIN}{}", list_memberships_sql());
        let due = format!("{EXPLAIN}{}", claim_due_sql());
        let deliveries = format!("{EXPLAIN}{}", list_deliveries_sql());
        let fixed: Vec<(&str, Query<'_, Postgres, PgArguments>)> = vec![
            (
                "push_audience",
                sqlx::query(&audience).bind(target.channel_seq),
            ),
            (
                "push_audience_changes",
                sqlx::query(&audience_changes)
                    .bind(target.channel_seq)
                    .bind(0_i64),
            ),
            (
                "channel_standing",
                sqlx::query(&standing)
                    .bind(target.channel_seq)
                    .bind(target.user_seq)
                    .bind(target.app_instance_seq),
            ),
            (
                "get_membership",
                sqlx::query(&membership)
                    .bind(target.channel_seq)
                    .bind(target.user_seq),
            ),
            (
                "list_memberships",
                sqlx::query(&memberships)
                    .bind(target.channel_seq)
                    .bind(MembershipType::Default.as_str())
                    .bind(i64::MIN)
                    .bind(100_i64),
            ),
            (
                "claim_due_deliveries",
                sqlx::query(&due)
                    .bind(ms(target.now))
                    .bind(ms(target.now))
                    .bind(100_i64),
            ),
            (
                "list_deliveries",
                sqlx::query(&deliveries)
                    .bind(&target.channel_arn)
                    .bind(&target.message_id),
            ),
        ];
        let mut plans = Vec::new();
        for (name, query) in fixed {
            let row = query.fetch_one(&self.pool).await?;
            plans.push((name.to_owned(), plan_text(&row)?));
        }

        // Every shape of ListChannelMessages: order, bounds, cursor.
        let cursor = MessageCursor {
            created_ms: ms(target.now),
            seq: i64::MAX,
        };
        for ascending in [true, false] {
            for bounds in [
                (None, None),
                (Some(target.now), None),
                (None, Some(target.now)),
            ] {
                for after in [None, Some(cursor)] {
                    let query = MessageQuery {
                        ascending,
                        not_before: bounds.0,
                        not_after: bounds.1,
                    };
                    let mut qb = QueryBuilder::<Postgres>::new(EXPLAIN);
                    push_list_messages(&mut qb, target.channel_seq, &query, after, 50);
                    let row = qb.build().fetch_one(&self.pool).await?;
                    let name = format!("list_messages {query:?} after {after:?}");
                    plans.push((name, plan_text(&row)?));
                }
            }
        }
        Ok(plans)
    }
}

/// The plan, a `json` value: its binary form is its text.
fn plan_text(row: &sqlx::postgres::PgRow) -> StoreResult<String> {
    row.try_get_unchecked::<String, _>(0)
        .map_err(|e| StoreError::Corrupt(format!("EXPLAIN output: {e}")))
}
