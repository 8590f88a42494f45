//! ListUserNotifications and UpdateUserNotificationStatus: the view of one
//! user, and that user's status for each notification.

use herald_store::{StatusOutcome, StatusWrite, UserListCursor, UserNotification, UserStatus};
use jiff::Timestamp;

use super::validate::{self, invalid, required};
use super::{ConnectService, not_found, user_not_found};
use crate::error::{ConnectError, ConnectResult};
use crate::pagination::TokenScope;
use crate::{Caller, Page};

#[derive(Debug, Clone, Default)]
pub struct StatusUpdateInput {
    pub instance_id: String,
    pub user_id: String,
    pub notification_id: String,
    pub status: Option<String>,
    /// `x-amz-last-modified-time`.
    pub last_modified_time: Option<Timestamp>,
    /// `x-amz-last-modified-region`.
    pub last_modified_region: Option<String>,
}

/// How far a replicated write's time may run ahead of this server's clock
/// (the same allowance as for signatures).
const REPLICATION_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// `x-amz-last-modified-time` is an HTTP-date: whole seconds. A time
/// given that way stands for its whole second, so that echoing back a
/// stored time truncated to the second is not taken for a stale write.
fn end_of_second(at: Timestamp) -> Timestamp {
    if at.subsec_millisecond() == 0 {
        at + jiff::SignedDuration::from_millis(999)
    } else {
        at
    }
}

impl ConnectService {
    pub async fn list_user_notifications(
        &self,
        caller: &Caller,
        instance_id: &str,
        user_id: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ConnectResult<Page<UserNotification>> {
        let limit = validate::max_results(max_results, 1000, 100)?;
        let instance = self.instance(caller, instance_id).await?;
        let scope = TokenScope::new("ListUserNotifications", &(&instance.id, user_id));
        let after = self
            .tokens
            .cursor::<(i64, i64, i64)>(&scope, next_token)?
            .map(|(urgency, created_ms, seq)| UserListCursor {
                urgency,
                created_ms,
                seq,
            });
        // The user is found by the listing itself.
        let rows = self
            .store
            .list_user_notifications_by_id(
                instance.seq,
                user_id,
                self.clock.now(),
                after,
                limit + 1,
            )
            .await?
            .ok_or_else(|| user_not_found(&instance, user_id))?;
        Ok(self.tokens.page(rows, limit, &scope, |last| {
            let c = last.user_list_cursor();
            (c.urgency, c.created_ms, c.seq)
        }))
    }

    pub async fn update_user_notification_status(
        &self,
        caller: &Caller,
        input: StatusUpdateInput,
    ) -> ConnectResult<()> {
        let status_text = required(input.status, "Status")?;
        let status = UserStatus::parse(&status_text).ok_or_else(|| {
            invalid(format!(
                "Status '{status_text}' is not valid; valid values: READ, UNREAD, HIDDEN."
            ))
        })?;
        if let Some(region) = &input.last_modified_region {
            validate::region_name(region, "LastModifiedRegion")?;
        }
        let now = self.clock.now();
        // A write that names its region is replicated from elsewhere: it
        // carries its own time and region. Otherwise the write happens here
        // and now.
        let (modified_at, modified_region) = match (
            &input.last_modified_region,
            input.last_modified_time,
        ) {
            (Some(_), Some(time)) if time > now + REPLICATION_SKEW => {
                return Err(invalid(format!(
                    "LastModifiedTime {time} is in the future; a replicated write carries a time no later than now ({now})."
                )));
            }
            (Some(region), Some(time)) => (time, region.clone()),
            (Some(_), None) => {
                return Err(invalid(
                    "LastModifiedTime (x-amz-last-modified-time) is required with LastModifiedRegion.",
                ));
            }
            (None, _) => (now, self.region.clone()),
        };
        let instance = self.instance(caller, &input.instance_id).await?;
        // The user is found by the write itself, in its transaction.
        let outcome = self
            .write_status(StatusWrite {
                instance_seq: instance.seq,
                notification_id: input.notification_id.clone(),
                user_id: input.user_id.clone(),
                status,
                now,
                not_older_than: input.last_modified_time.map(end_of_second),
                modified_at,
                modified_region,
            })
            .await?;
        match outcome {
            StatusOutcome::Written { .. } => Ok(()),
            StatusOutcome::UserNotFound => Err(user_not_found(&instance, &input.user_id)),
            StatusOutcome::NotFound => Err(not_found(format!(
                "Notification {} was not found for user {}.",
                input.notification_id, input.user_id
            ))),
            StatusOutcome::Stale { stored_at } => Err(ConnectError::InvalidRequest(format!(
                "Stale write: LastModifiedTime {} is older than the status's stored last-modified time {stored_at}.",
                input
                    .last_modified_time
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            ))),
        }
    }

    /// Stores a status and, once it is written, announces it to the live
    /// streams.
    pub(super) async fn write_status(&self, write: StatusWrite) -> ConnectResult<StatusOutcome> {
        let (instance_seq, status) = (write.instance_seq, write.status);
        let notification_id = write.notification_id.clone();
        let outcome = self.store.set_user_status(write).await?;
        if let StatusOutcome::Written { user_seq } = outcome {
            self.announce_status(instance_seq, &notification_id, user_seq, status)
                .await;
        }
        Ok(outcome)
    }
}
