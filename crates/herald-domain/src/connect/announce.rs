//! Announcing committed changes on the feed, for the live streams. An
//! announcement follows the commit; a failed one is logged, never turned
//! into a failed request (the change is durable; streams catch up at
//! their next snapshot).

use herald_store::feed::{Change, ChangeAudience, ChangeKind};
use herald_store::{InstanceRecord, Notification, UserStatus};

use super::ConnectService;

impl ConnectService {
    pub(super) async fn announce(
        &self,
        instance_seq: i64,
        notification_id: &str,
        kind: ChangeKind,
        audience: ChangeAudience,
    ) {
        let change = Change {
            instance_seq,
            notification_id: notification_id.to_owned(),
            kind,
            audience,
        };
        if let Err(error) = self.feed.publish(&change).await {
            tracing::warn!(%error, notification_id, "a change could not be announced to live streams");
        }
    }

    /// Whose view of `notification` a change touches; `None` when the
    /// recipients cannot be read (announcing to the whole instance instead
    /// would show the notification to users it is not for).
    pub(super) async fn audience_of(
        &self,
        instance: &InstanceRecord,
        notification: &Notification,
    ) -> Option<ChangeAudience> {
        if notification.broadcast {
            return Some(ChangeAudience::Instance);
        }
        let prefix = format!("{}/agent/", instance.arn);
        let user_ids: Vec<String> = notification
            .recipients
            .iter()
            .filter_map(|recipient| recipient.strip_prefix(&prefix))
            .map(str::to_owned)
            .collect();
        match self.store.find_users(instance.seq, &user_ids).await {
            Ok(users) => Some(ChangeAudience::Users(
                users.iter().map(|user| user.seq).collect(),
            )),
            Err(error) => {
                tracing::warn!(%error, "recipients could not be read; the change is not announced");
                None
            }
        }
    }

    pub(super) async fn announce_status(
        &self,
        instance_seq: i64,
        notification_id: &str,
        user_seq: i64,
        status: UserStatus,
    ) {
        self.announce(
            instance_seq,
            notification_id,
            ChangeKind::Status(status.as_str().to_owned()),
            ChangeAudience::Users(vec![user_seq]),
        )
        .await;
    }
}
