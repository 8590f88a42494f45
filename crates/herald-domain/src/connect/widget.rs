//! Widget sessions: a short-lived token for one user's live widget, and
//! what that token lets its bearer do (read the user's notifications, set
//! the user's statuses).

use herald_store::{StatusOutcome, StatusWrite, UserListCursor, UserStatus};
use jiff::{SignedDuration, Timestamp};

use super::ConnectService;
use super::validate::{invalid, required};
use crate::access::{ConnectAccess, Role};
use crate::error::ConnectResult;
use crate::live::{StreamSubject, TokenRefusal, WidgetGrant};
use crate::pagination::TokenScope;
use crate::{Caller, arn};

const DEFAULT_SESSION: SignedDuration = SignedDuration::from_hours(1);
const MIN_SESSION_SECONDS: i64 = 60;
const MAX_SESSION_SECONDS: i64 = 12 * 60 * 60;
/// Notifications one mark-all-read call looks at; the client calls again
/// while `remaining`.
const READ_ALL_BUDGET: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetSession {
    pub token: String,
    pub expires_at: Timestamp,
}

/// The bearer of a valid widget token: acts as that one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetAccess {
    pub caller: Caller,
    pub grant: WidgetGrant,
}

impl ConnectService {
    pub async fn create_widget_session(
        &self,
        caller: &Caller,
        instance_id: Option<String>,
        user_id: Option<String>,
        duration_seconds: Option<i64>,
    ) -> ConnectResult<WidgetSession> {
        let instance_id = required(instance_id, "InstanceId")?;
        let user_id = required(user_id, "UserId")?;
        let lifetime = match duration_seconds {
            None => DEFAULT_SESSION,
            Some(seconds) if (MIN_SESSION_SECONDS..=MAX_SESSION_SECONDS).contains(&seconds) => {
                SignedDuration::from_secs(seconds)
            }
            Some(seconds) => {
                return Err(invalid(format!(
                    "DurationSeconds {seconds} must be between {MIN_SESSION_SECONDS} and {MAX_SESSION_SECONDS}."
                )));
            }
        };
        caller.authorize_connect(
            &self.region,
            ConnectAccess::ActAsUser {
                instance_id: &instance_id,
                user_id: &user_id,
            },
        )?;
        let instance = self.instance(caller, &instance_id).await?;
        let user = self.user(&instance, &user_id).await?;
        let expires_at = self.clock.now() + lifetime;
        let token = self.sessions.issue(&WidgetGrant {
            account_id: caller.account_id.clone(),
            instance_id: instance.id.clone(),
            user_id: user.id,
            expires_at,
        });
        Ok(WidgetSession { token, expires_at })
    }

    /// Who a widget token speaks for, or why it is refused.
    pub fn widget_access(&self, token: &str) -> Result<WidgetAccess, TokenRefusal> {
        let grant = self.sessions.verify(token, self.clock.now())?;
        let instance_arn = arn::instance_arn(&self.region, &grant.account_id, &grant.instance_id);
        Ok(WidgetAccess {
            caller: Caller {
                account_id: grant.account_id.clone(),
                role: Role::ConnectUser {
                    user_arn: arn::user_arn(&instance_arn, &grant.user_id),
                },
            },
            grant,
        })
    }

    /// The store's keys for the user a token speaks for; not found once
    /// the user or the instance is deleted.
    pub async fn widget_subject(&self, access: &WidgetAccess) -> ConnectResult<StreamSubject> {
        let instance = self
            .instance(&access.caller, &access.grant.instance_id)
            .await?;
        let user = self.user(&instance, &access.grant.user_id).await?;
        Ok(StreamSubject {
            instance_seq: instance.seq,
            user_seq: user.seq,
        })
    }

    /// Marks the user's UNREAD notifications READ, looking at a bounded
    /// number per call: how many changed, and where the next call resumes
    /// (`None`: the end was reached).
    pub async fn mark_all_read(
        &self,
        access: &WidgetAccess,
        next_token: Option<&str>,
    ) -> ConnectResult<(u32, Option<String>)> {
        let grant = &access.grant;
        let instance = self.instance(&access.caller, &grant.instance_id).await?;
        let user = self.user(&instance, &grant.user_id).await?;
        let scope = TokenScope::new("WidgetReadAll", &(&instance.id, &user.id));
        let mut after: Option<UserListCursor> = self
            .tokens
            .cursor::<(i64, i64, i64)>(&scope, next_token)?
            .map(|(urgency, created_ms, seq)| UserListCursor {
                urgency,
                created_ms,
                seq,
            });
        let mut looked_at = 0;
        let mut updated = 0;
        while looked_at < READ_ALL_BUDGET {
            let page = self
                .store
                .list_user_notifications(instance.seq, user.seq, self.clock.now(), after, 100)
                .await?;
            let Some(last) = page.last() else {
                return Ok((updated, None));
            };
            after = Some(last.user_list_cursor());
            let full = page.len() == 100;
            looked_at += page.len();
            for item in page.iter().filter(|item| item.status == UserStatus::Unread) {
                let now = self.clock.now();
                let outcome = self
                    .write_status(StatusWrite {
                        instance_seq: instance.seq,
                        notification_id: item.id.clone(),
                        user_id: user.id.clone(),
                        status: UserStatus::Read,
                        now,
                        not_older_than: None,
                        modified_at: now,
                        modified_region: self.region.clone(),
                    })
                    .await?;
                // Otherwise expired, deleted, or the user deleted meanwhile:
                // nothing to mark.
                if matches!(outcome, StatusOutcome::Written { .. }) {
                    updated += 1;
                }
            }
            if !full {
                return Ok((updated, None));
            }
        }
        let resume = after.map(|c| self.tokens.issue(&scope, &(c.urgency, c.created_ms, c.seq)));
        Ok((updated, resume))
    }
}
