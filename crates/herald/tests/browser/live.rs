//! The count, live arrivals, status changes both ways, reconnecting.

use std::time::{Duration, Instant};

use aws_sdk_connect::types::{LocaleCode, NotificationStatus};

use crate::common::*;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread")]
async fn badge_counts_the_unread_notifications_already_there() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let a = f.notify("first").await;
        let b = f.notify("second").await;
        let c = f.notify("third").await;
        f.set_status(&b, NotificationStatus::Read).await;
        f.open().await;

        f.browser.wait_badge("2").await;
        let shown = f.browser.items().await;
        let mut ids: Vec<_> = shown.iter().map(|i| i.id.clone()).collect();
        ids.sort();
        assert_eq!(ids, sorted(vec![a.clone(), b.clone(), c.clone()]));
        assert_eq!(f.browser.item(&a).await.unwrap().status, "UNREAD");
        assert_eq!(f.browser.item(&b).await.unwrap().status, "READ");
        assert_eq!(f.browser.item(&c).await.unwrap().status, "UNREAD");
        // The bell says it too, for screen readers.
        let label = f
            .browser
            .js(
                "return document.querySelector('.herald-bell').getAttribute('aria-label');",
                vec![],
            )
            .await;
        assert!(
            label.as_str().unwrap_or_default().contains('2'),
            "bell aria-label {label}"
        );
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_notification_appears_live_without_a_reload() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        f.notify("already there").await;
        f.open().await;
        f.browser.wait_badge("1").await;
        // Gone if the page reloads.
        f.browser.js("window.__heraldMarker = 42;", vec![]).await;

        let created = Instant::now();
        let id = f
            .notify_with(
                aws_sdk_connect::types::ConfigurableNotificationPriority::High,
                &[(LocaleCode::EnUs, "fresh **news**")],
            )
            .await;
        eventually(
            Duration::from_secs(2),
            "the new notification to appear within 2 s",
            || async { f.browser.item(&id).await },
        )
        .await;
        f.browser.wait_badge("2").await;
        println!("arrived in {:?}", created.elapsed());
        let shown = f.browser.item(&id).await.unwrap();
        assert_eq!(shown.status, "UNREAD");
        assert!(shown.text.contains("fresh news"), "{shown:?}");
        let marker = f.browser.js("return window.__heraldMarker;", vec![]).await;
        assert_eq!(marker, 42, "the page reloaded");
        // Emphasis is rendered, not shown as asterisks.
        let strong = f
            .browser
            .js(
                "return document.querySelector(`[data-notification-id='${arguments[0]}'] strong`)?.textContent;",
                vec![id.clone().into()],
            )
            .await;
        assert_eq!(strong, "news");
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn read_and_unread_buttons_change_the_status_in_the_api() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let id = f.notify("read me").await;
        let other = f.notify("leave me").await;
        f.open().await;
        f.browser.wait_badge("2").await;

        f.browser.click_action(&id, "read").await;
        f.browser.wait_status(&id, "READ").await;
        f.browser.wait_badge("1").await;
        f.wait_api_status(&id, NotificationStatus::Read).await;
        assert_eq!(
            f.api_statuses().await.get(&other),
            Some(&NotificationStatus::Unread)
        );
        // Greyed: a READ item does not look like an UNREAD one.
        let looks = f
            .browser
            .js(
                "const w = id => getComputedStyle(document.querySelector(
                   `[data-notification-id='${id}'] .herald-content`)).fontWeight;
                 return [w(arguments[0]), w(arguments[1])];",
                vec![id.clone().into(), other.clone().into()],
            )
            .await;
        assert_ne!(looks[0], looks[1], "READ and UNREAD look the same");

        f.browser.click_action(&id, "unread").await;
        f.browser.wait_status(&id, "UNREAD").await;
        f.browser.wait_badge("2").await;
        f.wait_api_status(&id, NotificationStatus::Unread).await;
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hide_removes_the_notification_and_the_api_reports_hidden() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let id = f.notify("hide me").await;
        let other = f.notify("keep me").await;
        f.open().await;
        f.browser.wait_badge("2").await;

        f.browser.click_action(&id, "hide").await;
        f.browser.wait_gone(&id).await;
        f.browser.wait_badge("1").await;
        f.wait_api_status(&id, NotificationStatus::Hidden).await;
        assert!(f.browser.item(&other).await.is_some());
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_status_changed_through_the_api_shows_in_the_open_widget() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let id = f.notify("watch me").await;
        let other = f.notify("and me").await;
        f.open().await;
        f.browser.wait_badge("2").await;

        f.set_status(&id, NotificationStatus::Read).await;
        f.browser.wait_status(&id, "READ").await;
        f.browser.wait_badge("1").await;

        f.set_status(&id, NotificationStatus::Unread).await;
        f.browser.wait_status(&id, "UNREAD").await;
        f.browser.wait_badge("2").await;

        f.set_status(&other, NotificationStatus::Hidden).await;
        f.browser.wait_gone(&other).await;
        f.browser.wait_badge("1").await;

        // Un-hidden through the API, it comes back without a reload.
        f.set_status(&other, NotificationStatus::Unread).await;
        f.browser.wait_status(&other, "UNREAD").await;
        f.browser.wait_badge("2").await;
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn read_all_clears_the_badge_and_marks_everything_read() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(f.notify(&format!("number {i}")).await);
        }
        f.open().await;
        f.browser.wait_badge("4").await;
        let buttons = f
            .browser
            .js(
                "return document.querySelectorAll('[data-herald-action=\"read-all\"]').length;",
                vec![],
            )
            .await;
        assert_eq!(buttons, 1, "exactly one read-all button");

        f.browser.click("[data-herald-action='read-all']").await;
        f.browser.wait_badge("").await;
        for id in &ids {
            f.browser.wait_status(id, "READ").await;
        }
        eventually(WAIT, "every notification READ in the API", || async {
            let statuses = f.api_statuses().await;
            ids.iter()
                .all(|id| statuses.get(id) == Some(&NotificationStatus::Read))
                .then_some(())
        })
        .await;
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_server_restart_the_widget_reconnects_with_the_right_count() {
    bounded(async {
        let Some(mut f) = Fixture::new("en-US").await else {
            return;
        };
        f.notify("before one").await;
        f.notify("before two").await;
        f.open().await;
        f.browser.wait_badge("2").await;
        let before = f.server.addr().to_string();

        f.server.restart_same_port().await;
        assert_eq!(f.server.addr(), before, "the restart moved the port");
        f.sdk = f.server.client();
        let after = f.notify("after").await;

        // The browser retries about every second (the server's `retry`).
        f.browser
            .wait_badge_within("3", Duration::from_secs(15))
            .await;
        eventually(
            Duration::from_secs(5),
            "the notification created after the restart",
            || async { f.browser.item(&after).await },
        )
        .await;
        assert_eq!(f.browser.items().await.len(), 3);
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expiring_notification_leaves_when_it_expires() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        f.notify("stays").await;
        let expires = secs_from_now(3.0);
        let id = ok(f
            .sdk
            .create_notification()
            .instance_id(&f.instance.id)
            .recipients(&f.user.arn)
            .content(LocaleCode::EnUs, "short-lived")
            .expires_at(expires)
            .send()
            .await)
        .notification_id()
        .to_string();
        f.open().await;
        f.browser.wait_badge("2").await;
        assert!(f.browser.item(&id).await.is_some());

        let until_expiry = expires.as_secs_f64() - now().as_secs_f64();
        let timeout = Duration::from_secs_f64(until_expiry.max(0.0)) + WAIT;
        eventually(timeout, "the expired notification to leave", || async {
            f.browser.item(&id).await.is_none().then_some(())
        })
        .await;
        f.browser.wait_badge("1").await;
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_says_the_session_expired() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let session = f.session().await;
        let (base, _) = session
            .widget_url
            .split_once('#')
            .expect("WidgetUrl has #token=");
        f.browser
            .goto(&format!("{base}#token=not-a-real-token"))
            .await;
        eventually(WAIT, "the session-expired notice", || async {
            let notice = f
                .browser
                .js(
                    "const n = document.querySelector('[data-herald-notice]');
                     return n && !n.hidden ? [n.getAttribute('data-herald-notice'), n.innerText] : null;",
                    vec![],
                )
                .await;
            (notice[0] == "expired").then_some(notice)
        })
        .await;
        assert_eq!(f.browser.badge().await, "");
        f.browser.close().await;
    })
    .await;
}
