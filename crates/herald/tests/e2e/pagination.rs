//! Keyset pagination under concurrent inserts, and NextToken integrity.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::{
    ConfigurableNotificationPriority, LocaleCode, NotificationSearchCriteria, StringComparisonType,
    StringCondition,
};
use tokio::task::JoinHandle;

const PAGE: i32 = 2;
/// Bounded, so that oldest-first listings (which do see new items) end.
const MAX_INSERTS: usize = 10;

/// A task that keeps inserting items until stopped.
struct Inserter {
    stop: Arc<AtomicBool>,
    count: Arc<AtomicUsize>,
    handle: JoinHandle<Vec<String>>,
}

impl Inserter {
    /// Inserts up to `MAX_INSERTS` items, one every few milliseconds.
    fn spawn<F, Fut>(mut insert: F) -> Inserter
    where
        F: FnMut(usize) -> Fut + Send + 'static,
        Fut: Future<Output = String> + Send,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let (s, c) = (Arc::clone(&stop), Arc::clone(&count));
        let handle = tokio::spawn(async move {
            let mut ids = Vec::new();
            while !s.load(Ordering::SeqCst) && ids.len() < MAX_INSERTS {
                ids.push(insert(ids.len()).await);
                c.store(ids.len(), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            ids
        });
        Inserter {
            stop,
            count,
            handle,
        }
    }

    /// Waits until at least two more inserts have completed, so that one
    /// was certainly committed after the page fetch that just returned.
    async fn let_some_in(&self) {
        let target = (self.count.load(Ordering::SeqCst) + 2).min(MAX_INSERTS);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.count.load(Ordering::SeqCst) < target {
            assert!(!self.handle.is_finished(), "the inserter task died");
            assert!(Instant::now() < deadline, "the inserter made no progress");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.await.expect("inserter task panicked")
    }
}

/// Fetches every page (`fetch(token)` → ids, next token), letting the
/// inserter add items between pages; returns the ids and the inserted ids.
async fn pages_while_inserting<F, Fut>(
    inserter: Inserter,
    mut fetch: F,
) -> (Vec<String>, Vec<String>)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = (Vec<String>, Option<String>)>,
{
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let (ids, next) = fetch(token.take()).await;
        assert!(
            ids.len() <= PAGE as usize,
            "page of {} with MaxResults {PAGE}",
            ids.len()
        );
        seen.extend(ids);
        pages += 1;
        assert!(
            pages < 200,
            "paging never ends (items inserted faster than read?)"
        );
        match next {
            Some(t) => token = Some(t),
            None => break,
        }
        inserter.let_some_in().await;
    }
    let inserted = inserter.finish().await;
    (seen, inserted)
}

/// Every item that existed at the start appears exactly once and in the
/// listing's order; nothing appears twice; nothing unknown appears.
#[track_caller]
fn assert_keyset(seen: &[String], initial_in_order: &[String], inserted: &[String]) {
    let mut once = HashSet::new();
    for id in seen {
        assert!(once.insert(id), "{id} was returned twice; pages: {seen:?}");
    }
    let initial: Vec<String> = seen
        .iter()
        .filter(|id| initial_in_order.contains(id))
        .cloned()
        .collect();
    assert_eq!(
        initial, initial_in_order,
        "initial items skipped or out of order"
    );
    for id in seen {
        assert!(
            initial_in_order.contains(id) || inserted.contains(id),
            "unknown id {id} listed"
        );
    }
    assert!(
        inserted.len() >= 2,
        "the inserter did not run between pages"
    );
}

fn needle() -> NotificationSearchCriteria {
    NotificationSearchCriteria::builder()
        .string_condition(
            StringCondition::builder()
                .field_name("Content")
                .value("needle")
                .comparison_type(StringComparisonType::Contains)
                .build(),
        )
        .build()
}

fn hay() -> NotificationSearchCriteria {
    NotificationSearchCriteria::builder()
        .string_condition(
            StringCondition::builder()
                .field_name("Content")
                .value("hay")
                .comparison_type(StringComparisonType::Contains)
                .build(),
        )
        .build()
}

async fn create_prio(
    client: &Client,
    instance_id: &str,
    recipient: &str,
    text: &str,
    high: bool,
) -> String {
    let priority = if high {
        ConfigurableNotificationPriority::High
    } else {
        ConfigurableNotificationPriority::Low
    };
    ok(client
        .create_notification()
        .instance_id(instance_id)
        .recipients(recipient)
        .content(LocaleCode::EnUs, text)
        .priority(priority)
        .send()
        .await)
    .notification_id()
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_notifications_keyset_under_concurrent_inserts() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let mut initial = Vec::new();
    for i in 0..9 {
        initial.push(
            notify(&client, &inst.id, &[&user.arn], &format!("initial {i}"))
                .await
                .id,
        );
    }
    initial.reverse(); // newest first

    let inserter = {
        let (client, inst_id, arn) = (client.clone(), inst.id.clone(), user.arn.clone());
        Inserter::spawn(move |i| {
            let (client, inst_id, arn) = (client.clone(), inst_id.clone(), arn.clone());
            async move {
                notify(&client, &inst_id, &[&arn], &format!("new {i}"))
                    .await
                    .id
            }
        })
    };
    let (seen, inserted) = pages_while_inserting(inserter, |token| {
        let (client, inst_id) = (client.clone(), inst.id.clone());
        async move {
            let out = ok(client
                .list_notifications()
                .instance_id(inst_id)
                .max_results(PAGE)
                .set_next_token(token)
                .send()
                .await);
            let ids = out
                .notification_summary_list()
                .iter()
                .map(|n| n.id().to_string())
                .collect();
            (ids, out.next_token().map(str::to_string))
        }
    })
    .await;
    assert_keyset(&seen, &initial, &inserted);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_user_notifications_keyset_under_concurrent_inserts() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let (mut high, mut low) = (Vec::new(), Vec::new());
    for i in 0..10 {
        let recipient = if i % 3 == 0 { &inst.arn } else { &user.arn };
        let is_high = i % 2 == 1;
        let id = create_prio(
            &client,
            &inst.id,
            recipient,
            &format!("initial {i}"),
            is_high,
        )
        .await;
        if is_high { high.push(id) } else { low.push(id) }
    }
    high.reverse();
    low.reverse();
    let initial: Vec<String> = high.into_iter().chain(low).collect();

    let inserter = {
        let (client, inst_id, arn, inst_arn) = (
            client.clone(),
            inst.id.clone(),
            user.arn.clone(),
            inst.arn.clone(),
        );
        Inserter::spawn(move |i| {
            let (client, inst_id) = (client.clone(), inst_id.clone());
            let recipient = if i % 3 == 0 {
                inst_arn.clone()
            } else {
                arn.clone()
            };
            async move {
                create_prio(
                    &client,
                    &inst_id,
                    &recipient,
                    &format!("new {i}"),
                    i % 2 == 0,
                )
                .await
            }
        })
    };
    let (seen, inserted) = pages_while_inserting(inserter, |token| {
        let (client, inst_id, user_id) = (client.clone(), inst.id.clone(), user.id.clone());
        async move {
            let out = ok(client
                .list_user_notifications()
                .instance_id(inst_id)
                .user_id(user_id)
                .max_results(PAGE)
                .set_next_token(token)
                .send()
                .await);
            let ids = out
                .user_notifications()
                .iter()
                .map(|n| n.notification_id().unwrap().to_string())
                .collect();
            (ids, out.next_token().map(str::to_string))
        }
    })
    .await;
    assert_keyset(&seen, &initial, &inserted);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_notifications_keyset_under_concurrent_inserts() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let mut initial = Vec::new();
    for i in 0..9 {
        initial.push(
            notify(&client, &inst.id, &[&user.arn], &format!("needle {i}"))
                .await
                .id,
        );
        notify(&client, &inst.id, &[&user.arn], &format!("hay {i}")).await;
    }
    initial.reverse();

    let inserter = {
        let (client, inst_id, arn) = (client.clone(), inst.id.clone(), user.arn.clone());
        Inserter::spawn(move |i| {
            let (client, inst_id, arn) = (client.clone(), inst_id.clone(), arn.clone());
            async move {
                notify(&client, &inst_id, &[&arn], &format!("hay again {i}")).await;
                notify(&client, &inst_id, &[&arn], &format!("new needle {i}"))
                    .await
                    .id
            }
        })
    };
    let (seen, inserted) = pages_while_inserting(inserter, |token| {
        let (client, inst_id) = (client.clone(), inst.id.clone());
        async move {
            let out = ok(client
                .search_notifications()
                .instance_id(inst_id)
                .search_criteria(needle())
                .max_results(PAGE)
                .set_next_token(token)
                .send()
                .await);
            let ids = out
                .notifications()
                .iter()
                .map(|n| n.id().unwrap().to_string())
                .collect();
            (ids, out.next_token().map(str::to_string))
        }
    })
    .await;
    assert_keyset(&seen, &initial, &inserted);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_keyset_under_concurrent_inserts() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let initial: Vec<String> = create_users(&client, &inst.id, 9)
        .await
        .into_iter()
        .map(|u| u.id)
        .collect(); // oldest first

    let inserter = {
        let (client, inst_id) = (client.clone(), inst.id.clone());
        Inserter::spawn(move |i| {
            let (client, inst_id) = (client.clone(), inst_id.clone());
            async move { create_user(&client, &inst_id, &format!("new{i}")).await.id }
        })
    };
    let (seen, inserted) = pages_while_inserting(inserter, |token| {
        let (client, inst_id) = (client.clone(), inst.id.clone());
        async move {
            let out = ok(client
                .list_users()
                .instance_id(inst_id)
                .max_results(PAGE)
                .set_next_token(token)
                .send()
                .await);
            let ids = out
                .user_summary_list()
                .iter()
                .map(|u| u.id().unwrap().to_string())
                .collect();
            (ids, out.next_token().map(str::to_string))
        }
    })
    .await;
    assert_keyset(&seen, &initial, &inserted);
}

/// Two instances with 3 users and 5 notifications each (to the instance
/// ARN, containing "needle"), so every listing has a second page.
struct Setup {
    server: Server,
    a: InstanceRef,
    b: InstanceRef,
    a_users: Vec<UserRef>,
    b_users: Vec<UserRef>,
}

async fn setup() -> Setup {
    let server = Server::start().await;
    let client = server.client();
    let a = create_instance(&client).await;
    let b = create_instance(&client).await;
    let a_users = create_users(&client, &a.id, 3).await;
    let b_users = create_users(&client, &b.id, 3).await;
    for i in 0..5 {
        notify(&client, &a.id, &[&a.arn], &format!("needle hay a{i}")).await;
        notify(&client, &b.id, &[&b.arn], &format!("needle hay b{i}")).await;
    }
    Setup {
        server,
        a,
        b,
        a_users,
        b_users,
    }
}

/// The first-page tokens of every listing.
struct Tokens {
    notifications_a: String,
    user_notifications_a0: String,
    search_a_needle: String,
    users_a: String,
    instances: String,
}

async fn first_tokens(client: &Client, s: &Setup) -> Tokens {
    let t = |t: Option<&str>| {
        t.expect("a first page with more to come has a NextToken")
            .to_string()
    };
    Tokens {
        notifications_a: t(ok(client
            .list_notifications()
            .instance_id(&s.a.id)
            .max_results(2)
            .send()
            .await)
        .next_token()),
        user_notifications_a0: t(ok(client
            .list_user_notifications()
            .instance_id(&s.a.id)
            .user_id(&s.a_users[0].id)
            .max_results(2)
            .send()
            .await)
        .next_token()),
        search_a_needle: t(ok(client
            .search_notifications()
            .instance_id(&s.a.id)
            .search_criteria(needle())
            .max_results(2)
            .send()
            .await)
        .next_token()),
        users_a: t(ok(client
            .list_users()
            .instance_id(&s.a.id)
            .max_results(2)
            .send()
            .await)
        .next_token()),
        instances: t(ok(client.list_instances().max_results(1).send().await).next_token()),
    }
}

/// Calls every listing of instance `a` (and ListInstances) with `token`,
/// except `skip`, and asserts each refuses it.
async fn assert_refused_everywhere(client: &Client, s: &Setup, token: &str, skip: &str) {
    let expect = |res: ApiError, op: &str| {
        assert_eq!(
            (res.code.as_str(), res.status),
            ("InvalidParameterException", 400),
            "{op} accepted or mis-refused token {token:?}: {res:?}"
        );
        assert!(!res.message.is_empty());
    };
    if skip != "ListNotifications" {
        expect(
            expect_err(
                client
                    .list_notifications()
                    .instance_id(&s.a.id)
                    .next_token(token)
                    .send()
                    .await,
            ),
            "ListNotifications",
        );
    }
    if skip != "ListUserNotifications" {
        expect(
            expect_err(
                client
                    .list_user_notifications()
                    .instance_id(&s.a.id)
                    .user_id(&s.a_users[0].id)
                    .next_token(token)
                    .send()
                    .await,
            ),
            "ListUserNotifications",
        );
    }
    if skip != "SearchNotifications" {
        expect(
            expect_err(
                client
                    .search_notifications()
                    .instance_id(&s.a.id)
                    .search_criteria(needle())
                    .next_token(token)
                    .send()
                    .await,
            ),
            "SearchNotifications",
        );
    }
    if skip != "ListUsers" {
        expect(
            expect_err(
                client
                    .list_users()
                    .instance_id(&s.a.id)
                    .next_token(token)
                    .send()
                    .await,
            ),
            "ListUsers",
        );
    }
    if skip != "ListInstances" {
        expect(
            expect_err(client.list_instances().next_token(token).send().await),
            "ListInstances",
        );
    }
}

/// Flips one character in the middle of `token` (to another character of
/// the same family, so the token still decodes).
fn altered(token: &str, at: usize) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let i = at.min(chars.len() - 1);
    chars[i] = match chars[i] {
        'A' => 'B',
        'a' => 'b',
        '0' => '1',
        c if c.is_ascii_uppercase() || c.is_ascii_lowercase() || c.is_ascii_digit() => {
            if c.is_ascii_digit() {
                '0'
            } else if c.is_ascii_uppercase() {
                'A'
            } else {
                'a'
            }
        }
        '-' => '_',
        '_' => '-',
        '+' => '/',
        '/' => '+',
        _ => 'x',
    };
    let s: String = chars.into_iter().collect();
    assert_ne!(s, token);
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_and_altered_tokens_are_refused() {
    let s = setup().await;
    let client = s.server.client();
    let long = "Z".repeat(4096);
    for forged in [
        "garbage",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "eyJzZXEiOjF9",
        "%%%",
        long.as_str(),
    ] {
        assert_refused_everywhere(&client, &s, forged, "").await;
    }
    let tokens = first_tokens(&client, &s).await;
    for token in [
        &tokens.notifications_a,
        &tokens.user_notifications_a0,
        &tokens.search_a_needle,
        &tokens.users_a,
        &tokens.instances,
    ] {
        // Altered in the middle, at the start and near the end; truncated;
        // extended. None of them may be accepted by any operation.
        let len = token.chars().count();
        let variants = [
            altered(token, len / 2),
            altered(token, 0),
            altered(token, len - 2),
            token.chars().take(len - 4).collect(),
            format!("{token}A"),
        ];
        for v in variants {
            assert_refused_everywhere(&client, &s, &v, "").await;
        }
    }
    // The genuine tokens still work with their own operation.
    ok(client
        .list_notifications()
        .instance_id(&s.a.id)
        .next_token(&tokens.notifications_a)
        .send()
        .await);
    ok(client
        .list_user_notifications()
        .instance_id(&s.a.id)
        .user_id(&s.a_users[0].id)
        .next_token(&tokens.user_notifications_a0)
        .send()
        .await);
    ok(client
        .search_notifications()
        .instance_id(&s.a.id)
        .search_criteria(needle())
        .next_token(&tokens.search_a_needle)
        .send()
        .await);
    ok(client
        .list_users()
        .instance_id(&s.a.id)
        .next_token(&tokens.users_a)
        .send()
        .await);
    ok(client
        .list_instances()
        .next_token(&tokens.instances)
        .send()
        .await);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_bound_to_their_operation() {
    let s = setup().await;
    let client = s.server.client();
    let t = first_tokens(&client, &s).await;
    assert_refused_everywhere(&client, &s, &t.notifications_a, "ListNotifications").await;
    assert_refused_everywhere(
        &client,
        &s,
        &t.user_notifications_a0,
        "ListUserNotifications",
    )
    .await;
    assert_refused_everywhere(&client, &s, &t.search_a_needle, "SearchNotifications").await;
    assert_refused_everywhere(&client, &s, &t.users_a, "ListUsers").await;
    assert_refused_everywhere(&client, &s, &t.instances, "ListInstances").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_bound_to_instance_user_and_criteria() {
    let s = setup().await;
    let client = s.server.client();
    let t = first_tokens(&client, &s).await;
    let refused = |res: ApiError, what: &str| {
        assert_eq!(
            (res.code.as_str(), res.status),
            ("InvalidParameterException", 400),
            "{what}: {res:?}"
        );
    };

    refused(
        expect_err(
            client
                .list_notifications()
                .instance_id(&s.b.id)
                .next_token(&t.notifications_a)
                .send()
                .await,
        ),
        "ListNotifications token of instance A used on B",
    );
    refused(
        expect_err(
            client
                .list_users()
                .instance_id(&s.b.id)
                .next_token(&t.users_a)
                .send()
                .await,
        ),
        "ListUsers token of instance A used on B",
    );
    refused(
        expect_err(
            client
                .list_user_notifications()
                .instance_id(&s.a.id)
                .user_id(&s.a_users[1].id)
                .next_token(&t.user_notifications_a0)
                .send()
                .await,
        ),
        "ListUserNotifications token of user 0 used for user 1",
    );
    refused(
        expect_err(
            client
                .list_user_notifications()
                .instance_id(&s.b.id)
                .user_id(&s.b_users[0].id)
                .next_token(&t.user_notifications_a0)
                .send()
                .await,
        ),
        "ListUserNotifications token of instance A used on B",
    );
    refused(
        expect_err(
            client
                .search_notifications()
                .instance_id(&s.b.id)
                .search_criteria(needle())
                .next_token(&t.search_a_needle)
                .send()
                .await,
        ),
        "SearchNotifications token of instance A used on B",
    );
    refused(
        expect_err(
            client
                .search_notifications()
                .instance_id(&s.a.id)
                .search_criteria(hay())
                .next_token(&t.search_a_needle)
                .send()
                .await,
        ),
        "SearchNotifications token used with other criteria",
    );
    refused(
        expect_err(
            client
                .search_notifications()
                .instance_id(&s.a.id)
                .next_token(&t.search_a_needle)
                .send()
                .await,
        ),
        "SearchNotifications token used without its criteria",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn page_size_may_change_between_pages() {
    let s = setup().await;
    let client = s.server.client();
    let all = list_notification_ids(&client, &s.a.id).await;
    assert_eq!(all.len(), 5);
    let first = ok(client
        .list_notifications()
        .instance_id(&s.a.id)
        .max_results(2)
        .send()
        .await);
    let second = ok(client
        .list_notifications()
        .instance_id(&s.a.id)
        .max_results(3)
        .next_token(first.next_token().unwrap())
        .send()
        .await);
    let ids: Vec<String> = first
        .notification_summary_list()
        .iter()
        .chain(second.notification_summary_list())
        .map(|n| n.id().to_string())
        .collect();
    assert_eq!(ids, all);
    assert!(second.next_token().is_none());

    let (found, _) = search_all(&client, &s.a.id, Some(needle()), None).await;
    let found: Vec<String> = found.into_iter().map(|n| n.id.unwrap()).collect();
    let p1 = ok(client
        .search_notifications()
        .instance_id(&s.a.id)
        .search_criteria(needle())
        .max_results(1)
        .send()
        .await);
    let p2 = ok(client
        .search_notifications()
        .instance_id(&s.a.id)
        .search_criteria(needle())
        .max_results(100)
        .next_token(p1.next_token().unwrap())
        .send()
        .await);
    let ids: Vec<String> = p1
        .notifications()
        .iter()
        .chain(p2.notifications())
        .map(|n| n.id().unwrap().to_string())
        .collect();
    assert_eq!(ids, found);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_survive_a_restart() {
    let mut s = setup().await;
    let client = s.server.client();
    let all_notifications = list_notification_ids(&client, &s.a.id).await;
    let all_user = user_notification_ids(&client, &s.a.id, &s.a_users[0].id).await;
    let (found, _) = search_all(&client, &s.a.id, Some(needle()), None).await;
    let all_search: Vec<String> = found.into_iter().map(|n| n.id.unwrap()).collect();
    let all_users: Vec<String> = s.a_users.iter().map(|u| u.id.clone()).collect();

    let n1 = ok(client
        .list_notifications()
        .instance_id(&s.a.id)
        .max_results(2)
        .send()
        .await);
    let u1 = ok(client
        .list_user_notifications()
        .instance_id(&s.a.id)
        .user_id(&s.a_users[0].id)
        .max_results(2)
        .send()
        .await);
    let s1 = ok(client
        .search_notifications()
        .instance_id(&s.a.id)
        .search_criteria(needle())
        .max_results(2)
        .send()
        .await);
    let l1 = ok(client
        .list_users()
        .instance_id(&s.a.id)
        .max_results(2)
        .send()
        .await);

    s.server.restart().await;
    let client = s.server.client();

    let n2 = ok(client
        .list_notifications()
        .instance_id(&s.a.id)
        .max_results(100)
        .next_token(n1.next_token().unwrap())
        .send()
        .await);
    let ids: Vec<String> = n1
        .notification_summary_list()
        .iter()
        .chain(n2.notification_summary_list())
        .map(|n| n.id().to_string())
        .collect();
    assert_eq!(ids, all_notifications);

    let u2 = ok(client
        .list_user_notifications()
        .instance_id(&s.a.id)
        .user_id(&s.a_users[0].id)
        .max_results(100)
        .next_token(u1.next_token().unwrap())
        .send()
        .await);
    let ids: Vec<String> = u1
        .user_notifications()
        .iter()
        .chain(u2.user_notifications())
        .map(|n| n.notification_id().unwrap().to_string())
        .collect();
    assert_eq!(ids, all_user);

    let s2 = ok(client
        .search_notifications()
        .instance_id(&s.a.id)
        .search_criteria(needle())
        .max_results(100)
        .next_token(s1.next_token().unwrap())
        .send()
        .await);
    let ids: Vec<String> = s1
        .notifications()
        .iter()
        .chain(s2.notifications())
        .map(|n| n.id().unwrap().to_string())
        .collect();
    assert_eq!(ids, all_search);

    let l2 = ok(client
        .list_users()
        .instance_id(&s.a.id)
        .max_results(100)
        .next_token(l1.next_token().unwrap())
        .send()
        .await);
    let ids: Vec<String> = l1
        .user_summary_list()
        .iter()
        .chain(l2.user_summary_list())
        .map(|u| u.id().unwrap().to_string())
        .collect();
    assert_eq!(ids, all_users);

    // And forgeries are still refused after the restart.
    assert_refused_everywhere(&client, &s, "garbage", "").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn default_page_size_is_100() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    for i in 0..101 {
        notify(&client, &inst.id, &[&user.arn], &format!("needle {i}")).await;
    }
    let out = ok(client
        .list_notifications()
        .instance_id(&inst.id)
        .send()
        .await);
    assert_eq!(out.notification_summary_list().len(), 100);
    let rest = ok(client
        .list_notifications()
        .instance_id(&inst.id)
        .next_token(out.next_token().expect("a second page"))
        .send()
        .await);
    assert_eq!(rest.notification_summary_list().len(), 1);
    assert!(rest.next_token().is_none());

    let out = ok(client
        .list_user_notifications()
        .instance_id(&inst.id)
        .user_id(&user.id)
        .send()
        .await);
    assert_eq!(out.user_notifications().len(), 100);
    assert!(out.next_token().is_some());

    let out = ok(client
        .search_notifications()
        .instance_id(&inst.id)
        .search_criteria(needle())
        .send()
        .await);
    assert_eq!(out.notifications().len(), 100);
    assert_eq!(out.approximate_total_count(), Some(101));
    assert!(out.next_token().is_some());
}
