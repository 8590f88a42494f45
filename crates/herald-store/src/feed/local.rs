//! The feed of one process: what the embedded store's single node uses.

use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::broadcast;

use super::{Change, ChangeFeed, FEED_CAPACITY, FeedSignal};
use crate::StoreResult;

pub struct LocalFeed {
    sender: broadcast::Sender<FeedSignal>,
}

impl LocalFeed {
    pub fn new() -> Self {
        LocalFeed {
            sender: broadcast::channel(FEED_CAPACITY).0,
        }
    }
}

impl Default for LocalFeed {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl ChangeFeed for LocalFeed {
    async fn publish(&self, change: &Change) -> StoreResult<()> {
        // No subscribers is not an error: nobody is watching.
        let _ = self
            .sender
            .send(FeedSignal::Change(Arc::new(change.clone())));
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<FeedSignal> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{ChangeAudience, ChangeKind};

    #[tokio::test]
    async fn subscribers_hear_what_is_published_after_they_subscribed() {
        let feed = LocalFeed::new();
        let change = Change {
            instance_seq: 1,
            notification_id: "n".into(),
            kind: ChangeKind::Created,
            audience: ChangeAudience::Instance,
        };
        feed.publish(&change).await.unwrap();
        let mut receiver = feed.subscribe();
        let later = Change {
            notification_id: "m".into(),
            ..change
        };
        feed.publish(&later).await.unwrap();
        match receiver.recv().await.unwrap() {
            FeedSignal::Change(heard) => assert_eq!(*heard, later),
            FeedSignal::Gap => panic!("no gap expected"),
        }
        assert!(receiver.try_recv().is_err());
    }
}
