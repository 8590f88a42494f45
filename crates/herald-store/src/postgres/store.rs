//! The [`Store`] (Connect) implementation on PostgreSQL: each method runs
//! its `_impl` within the call timeout.

use async_trait::async_trait;
use jiff::Timestamp;

use super::PgStore;
use crate::{
    Content, CreateOutcome, CreatedCursor, InstanceRecord, NewInstance, NewNotification, NewUser,
    Notification, SearchPage, SearchQuery, StatusOutcome, StatusWrite, Store, StoreResult,
    TagUpdateOutcome, Tags, UnreadCount, UserListCursor, UserNotification, UserRecord,
};

#[async_trait]
impl Store for PgStore {
    async fn token_secret(&self) -> StoreResult<Vec<u8>> {
        Ok(self.token_secret.clone())
    }

    async fn create_instance(&self, instance: NewInstance) -> StoreResult<InstanceRecord> {
        self.run(self.create_instance_impl(instance)).await
    }

    async fn get_instance(
        &self,
        account_id: &str,
        id: &str,
    ) -> StoreResult<Option<InstanceRecord>> {
        self.run(self.get_instance_impl(account_id, id)).await
    }

    async fn list_instances(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<InstanceRecord>> {
        self.run(self.list_instances_impl(account_id, after_seq, limit))
            .await
    }

    async fn delete_instance(&self, instance_seq: i64) -> StoreResult<bool> {
        self.run(self.delete_instance_impl(instance_seq)).await
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        self.run(self.create_user_impl(user)).await
    }

    async fn get_user(&self, instance_seq: i64, user_id: &str) -> StoreResult<Option<UserRecord>> {
        self.run(self.get_user_impl(instance_seq, user_id)).await
    }

    async fn find_users(
        &self,
        instance_seq: i64,
        user_ids: &[String],
    ) -> StoreResult<Vec<UserRecord>> {
        self.run(self.find_users_impl(instance_seq, user_ids)).await
    }

    async fn list_users(
        &self,
        instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>> {
        self.run(self.list_users_impl(instance_seq, after_seq, limit))
            .await
    }

    async fn delete_user(&self, instance_seq: i64, user_id: &str) -> StoreResult<bool> {
        self.run(self.delete_user_impl(instance_seq, user_id)).await
    }

    async fn create_notification(
        &self,
        notification: NewNotification,
    ) -> StoreResult<CreateOutcome> {
        self.run(self.create_notification_impl(notification)).await
    }

    async fn get_notification(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> StoreResult<Option<Notification>> {
        self.run(self.get_notification_impl(instance_seq, notification_id))
            .await
    }

    async fn list_notifications(
        &self,
        instance_seq: i64,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        self.run(self.list_notifications_impl(instance_seq, now, after, limit))
            .await
    }

    async fn update_notification_content(
        &self,
        instance_seq: i64,
        notification_id: &str,
        content: &Content,
        modified_at: Timestamp,
        modified_region: &str,
    ) -> StoreResult<Option<Notification>> {
        self.run(self.update_notification_content_impl(
            instance_seq,
            notification_id,
            content,
            modified_at,
            modified_region,
        ))
        .await
    }

    async fn delete_notification(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> StoreResult<bool> {
        self.run(self.delete_notification_impl(instance_seq, notification_id))
            .await
    }

    async fn update_notification_tags(
        &self,
        instance_seq: i64,
        notification_id: &str,
        add: &Tags,
        remove: &[String],
        max_tags: usize,
    ) -> StoreResult<TagUpdateOutcome> {
        self.run(self.update_notification_tags_impl(
            instance_seq,
            notification_id,
            add,
            remove,
            max_tags,
        ))
        .await
    }

    async fn list_user_notifications(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<UserNotification>> {
        self.run(self.list_user_notifications_impl(instance_seq, user_seq, now, after, limit))
            .await
    }

    async fn unread_count(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        cap: u32,
    ) -> StoreResult<UnreadCount> {
        self.run(self.unread_count_impl(instance_seq, user_seq, now, cap))
            .await
    }

    async fn set_user_status(&self, write: StatusWrite) -> StoreResult<StatusOutcome> {
        self.run(self.set_user_status_impl(write)).await
    }

    async fn search_notifications(
        &self,
        instance_seq: i64,
        query: &SearchQuery,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<SearchPage> {
        self.run(self.search_notifications_impl(instance_seq, query, now, after, limit))
            .await
    }

    async fn sweep_expired(&self, cutoff: Timestamp, limit: u32) -> StoreResult<u64> {
        self.run(self.sweep_expired_impl(cutoff, limit)).await
    }

    async fn forget_client_tokens(&self, cutoff: Timestamp, limit: u32) -> StoreResult<u64> {
        self.run(self.forget_client_tokens_impl(cutoff, limit))
            .await
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
