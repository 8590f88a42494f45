//! The conformance suite every [`crate::Store`] implementation must pass.
//!
//! Each test is a `pub async fn(&dyn Store)`: run them one by one on fresh
//! stores (readable failures) or all in sequence on one store with
//! [`run_all`]. Every test makes its own instances with unique ids, so the
//! tests do not see each other's records. The store reads no clock: the
//! suite passes every time, around 2030-01-01; only the housekeeping tests,
//! whose deletes reach across instances, use their own years (1995, 2000)
//! so that they touch nothing of the other tests.
//!
//! Conventions the suite pins down beyond the trait's doc comments:
//! - stored times keep millisecond precision (the suite uses whole
//!   milliseconds);
//! - an empty `All`, `Any`, tag filter or tag group adds no constraint;
//! - tag updates apply removals before additions.

pub mod chime;
mod directory;
mod housekeeping;
mod notifications;
mod reference;
mod search;
mod user_view;

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

use jiff::Timestamp;

use crate::{
    Comparison, Content, CreateOutcome, InstanceRecord, NewInstance, NewNotification, NewUser,
    Notification, Priority, SearchExpr, SearchField, SearchPage, SearchQuery, Store, TagFilter,
    Tags, UserNotification, UserRecord, fold_case,
};

pub use directory::{
    delete_instance_cascades, delete_user_cascades, instances, token_secret_is_stable, users,
};
pub use housekeeping::{forget_client_tokens, sweep_expired};
pub use notifications::{
    client_token_seen, concurrent_client_tokens, content_update, create_direct_and_broadcast,
    delete_notification_cascades, expired_are_hidden, id_taken, list_order_and_paging, tags_update,
};
pub use reference::{search_large_instance_matches_reference, search_matches_reference};
pub use search::{
    search_fields_and_comparisons, search_nested, search_tag_filters, search_totals_and_paging,
};
pub use user_view::{unread_count, unread_count_cap, user_listing_order_and_paging, user_status};

/// Every test of the suite, in sequence, on one store.
pub async fn run_all<S: Store>(store: &S) {
    let store: &dyn Store = store;
    crate::__connect_conformance!(run(store));
}

/// One `#[tokio::test]` per test of the suite, each on a fresh store and
/// under the test's own name, and `run_all_on_one_store` (the whole suite
/// on one store: the tests must not disturb each other). `$fresh` is an
/// `async fn(test: &str) -> Option<(Guard, Store)>`: the guard (a temporary
/// directory, a scratch database, …) lives as long as the test; `None`
/// skips the test (the function says why). The calling crate needs tokio
/// with `macros` and `rt-multi-thread`.
#[macro_export]
macro_rules! connect_conformance_tests {
    ($fresh:path) => {
        $crate::__connect_conformance!(tests($fresh));
    };
}

/// The one list of the suite's tests, in run order, handed to [`run_all`]
/// and [`connect_conformance_tests!`]: a test added here runs everywhere.
#[doc(hidden)]
#[macro_export]
macro_rules! __connect_conformance {
    ($mode:ident $args:tt) => {
        $crate::__connect_conformance!(@$mode $args
            token_secret_is_stable,
            instances,
            users,
            delete_user_cascades,
            delete_instance_cascades,
            create_direct_and_broadcast,
            client_token_seen,
            id_taken,
            concurrent_client_tokens,
            list_order_and_paging,
            expired_are_hidden,
            content_update,
            delete_notification_cascades,
            tags_update,
            user_listing_order_and_paging,
            user_status,
            unread_count,
            unread_count_cap,
            search_fields_and_comparisons,
            search_nested,
            search_tag_filters,
            search_totals_and_paging,
            search_matches_reference,
            search_large_instance_matches_reference,
            sweep_expired,
            forget_client_tokens,
        );
    };
    (@run($store:expr) $($name:ident,)*) => {
        $($crate::conformance::$name($store).await;)*
    };
    (@tests($fresh:path) $($name:ident,)*) => {
        $crate::__conformance_test!($fresh, run_all_on_one_store, $crate::conformance::run_all);
        $($crate::__conformance_test!($fresh, $name, $crate::conformance::$name);)*
    };
}

/// One test: `$run` on a fresh store, which is closed afterwards.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test {
    ($fresh:path, $name:ident, $run:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some((_guard, store)) = $fresh(stringify!($name)).await else {
                return;
            };
            $run(&store).await;
            $crate::Store::close(&store).await;
        }
    };
}

// --- clock -----------------------------------------------------------------

const SECOND: i64 = 1_000;
const HOUR: i64 = 3_600 * SECOND;
const DAY: i64 = 24 * HOUR;
/// 2030-01-01T00:00:00Z in milliseconds.
const BASE_MS: i64 = 1_893_456_000_000;

/// `offset_ms` after the suite's "now".
fn t(offset_ms: i64) -> Timestamp {
    at_ms(BASE_MS + offset_ms)
}

fn now() -> Timestamp {
    t(0)
}

fn at_ms(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("suite times are in range")
}

// --- names -----------------------------------------------------------------

/// Unique per process run, so a suite run against a long-lived database
/// cannot collide with an earlier run's records.
fn unique(prefix: &str) -> String {
    static RUN: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let run = RUN.get_or_init(rand::random);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{run:08x}-{n}")
}

fn content(pairs: &[(&str, &str)]) -> Content {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    content(pairs)
}

// --- search expressions ------------------------------------------------------

/// A condition as the domain hands it over: case-insensitive comparisons
/// carry the value folded.
fn cond(field: SearchField, comparison: Comparison, raw: &str) -> SearchExpr {
    let value = match comparison {
        Comparison::Exact => raw.to_owned(),
        Comparison::Contains | Comparison::StartsWith => fold_case(raw),
    };
    SearchExpr::Text {
        field,
        comparison,
        value,
    }
}

fn criteria(expr: SearchExpr) -> SearchQuery {
    SearchQuery {
        criteria: Some(expr),
        tags: None,
    }
}

fn tag_filter(groups: &[&[(&str, &str)]]) -> TagFilter {
    groups
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        })
        .collect()
}

// --- fixture -----------------------------------------------------------------

/// One fresh instance of the store under test, with helpers that fail the
/// test on any store error.
struct Fixture<'s> {
    store: &'s dyn Store,
    instance: InstanceRecord,
}

impl<'s> Fixture<'s> {
    async fn new(store: &'s dyn Store) -> Self {
        let instance = store
            .create_instance(new_instance(&unique("acct"), t(-DAY)))
            .await
            .expect("create_instance");
        Fixture { store, instance }
    }

    fn seq(&self) -> i64 {
        self.instance.seq
    }

    async fn user(&self, name: &str) -> UserRecord {
        self.store
            .create_user(new_user(&self.instance, name))
            .await
            .expect("create_user")
    }

    /// A broadcast LOW notification created a minute before now, expiring
    /// in a day; tests change what they care about.
    fn note(&self, id: &str) -> NewNotification {
        NewNotification {
            instance_seq: self.instance.seq,
            id: id.to_owned(),
            arn: format!("{}/notification/{id}", self.instance.arn),
            content: content(&[("en_US", "hello")]),
            priority: Priority::Low,
            recipients: vec![self.instance.arn.clone()],
            broadcast: true,
            direct_user_seqs: Vec::new(),
            tags: Tags::new(),
            created_at: t(-60 * SECOND),
            expires_at: t(DAY),
            region: "us-east-1".to_owned(),
            client_token: None,
        }
    }

    /// `note` addressed to `users` only.
    fn direct(&self, id: &str, users: &[&UserRecord]) -> NewNotification {
        NewNotification {
            recipients: users.iter().map(|u| u.arn.clone()).collect(),
            broadcast: false,
            direct_user_seqs: users.iter().map(|u| u.seq).collect(),
            ..self.note(id)
        }
    }

    async fn create(&self, new: NewNotification) -> Notification {
        match self.store.create_notification(new).await {
            Ok(CreateOutcome::Created(n)) => n,
            other => panic!("expected Created, got {other:?}"),
        }
    }

    async fn get(&self, id: &str) -> Option<Notification> {
        self.store
            .get_notification(self.instance.seq, id)
            .await
            .expect("get_notification")
    }

    async fn list_ids(&self) -> Vec<String> {
        let listed = self
            .store
            .list_notifications(self.instance.seq, now(), None, 1000)
            .await
            .expect("list_notifications");
        ids(&listed)
    }

    async fn search(&self, query: &SearchQuery) -> SearchPage {
        self.store
            .search_notifications(self.instance.seq, query, now(), None, 100)
            .await
            .expect("search_notifications")
    }

    /// Ids of one full page; also checks that `total` agrees with it.
    async fn search_ids(&self, query: &SearchQuery) -> Vec<String> {
        let page = self.search(query).await;
        assert_eq!(
            page.total,
            page.notifications.len() as u64,
            "total of {query:?}"
        );
        ids(&page.notifications)
    }

    async fn user_list(&self, user: &UserRecord) -> Vec<UserNotification> {
        self.store
            .list_user_notifications(self.instance.seq, user.seq, now(), None, 1000)
            .await
            .expect("list_user_notifications")
    }

    async fn user_list_ids(&self, user: &UserRecord) -> Vec<String> {
        self.user_list(user)
            .await
            .iter()
            .map(|u| u.id.clone())
            .collect()
    }
}

fn new_instance(account_id: &str, created_at: Timestamp) -> NewInstance {
    let id = unique("instance");
    NewInstance {
        account_id: account_id.to_owned(),
        arn: format!("arn:aws:connect:us-east-1:{account_id}:instance/{id}"),
        id,
        alias: None,
        identity_management_type: "CONNECT_MANAGED".to_owned(),
        inbound_calls_enabled: true,
        outbound_calls_enabled: false,
        tags: Tags::new(),
        created_at,
    }
}

fn new_user(instance: &InstanceRecord, username: &str) -> NewUser {
    let id = unique("user");
    NewUser {
        instance_seq: instance.seq,
        arn: format!("{}/agent/{id}", instance.arn),
        id,
        username: username.to_owned(),
        settings: serde_json::json!({ "SecurityProfileIds": ["p1"] }),
        tags: Tags::new(),
        modified_at: t(-DAY),
        modified_region: "us-east-1".to_owned(),
    }
}

fn ids(notifications: &[Notification]) -> Vec<String> {
    notifications.iter().map(|n| n.id.clone()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Polls all futures concurrently on the current task; the suite takes a
/// borrowed store, so it cannot spawn.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}
