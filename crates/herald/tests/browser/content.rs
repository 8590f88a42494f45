//! What an item shows: its locale, its place in the list, its (inert)
//! markup; and the screenshot for the README.

use std::path::Path;

use aws_sdk_connect::types::ConfigurableNotificationPriority::{High, Low};
use aws_sdk_connect::types::{LocaleCode, NotificationStatus};

use crate::common::*;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_german_browser_gets_the_german_text() {
    bounded(async {
        let Some(f) = Fixture::new("de-DE").await else {
            return;
        };
        let both = f
            .notify_with(
                Low,
                &[
                    (LocaleCode::EnUs, "The queue is full"),
                    (LocaleCode::DeDe, "Die Warteschlange ist voll"),
                ],
            )
            .await;
        let english_only = f
            .notify_with(Low, &[(LocaleCode::EnUs, "Only in English")])
            .await;
        f.open().await;
        f.browser.wait_badge("2").await;

        let shown = f.browser.item(&both).await.expect("shown");
        assert!(
            shown.text.contains("Die Warteschlange ist voll"),
            "{shown:?}"
        );
        assert!(!shown.text.contains("The queue is full"), "{shown:?}");
        // No German text: en_US.
        let shown = f.browser.item(&english_only).await.expect("shown");
        assert!(shown.text.contains("Only in English"), "{shown:?}");
        // The relative time is German too ("jetzt" = now).
        let time = f
            .browser
            .js(
                "return document.querySelector(`[data-notification-id='${arguments[0]}'] time`).textContent;",
                vec![both.clone().into()],
            )
            .await;
        assert_eq!(time, "jetzt");
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn high_priority_comes_first_then_the_newest() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let low1 = f.notify_with(Low, &[(LocaleCode::EnUs, "low 1")]).await;
        let high1 = f.notify_with(High, &[(LocaleCode::EnUs, "high 1")]).await;
        let low2 = f.notify_with(Low, &[(LocaleCode::EnUs, "low 2")]).await;
        f.open().await;
        f.browser.wait_badge("3").await;
        // One more of each while the widget is open: live inserts keep the order.
        let high2 = f.notify_with(High, &[(LocaleCode::EnUs, "high 2")]).await;
        let low3 = f.notify_with(Low, &[(LocaleCode::EnUs, "low 3")]).await;
        f.browser.wait_badge("5").await;

        let want = vec![high2.clone(), high1.clone(), low3, low2, low1];
        eventually(WAIT, "the list in priority, then newest-first order", || async {
            let ids: Vec<String> = f.browser.items().await.into_iter().map(|i| i.id).collect();
            (ids == want).then_some(())
        })
        .await;
        // The same order as ListUserNotifications.
        let api = user_notification_ids(&f.sdk, &f.instance.id, &f.user.id).await;
        assert_eq!(api, want);
        // HIGH is labelled, LOW is not.
        let high = f.browser.item(&high1).await.unwrap();
        assert!(high.text.to_lowercase().contains("high"), "{high:?}");
        let labels = f
            .browser
            .js(
                "return [...document.querySelectorAll('[data-herald-item]')]
                   .map(e => e.querySelector('.herald-priority:not([hidden])')?.textContent ?? '');",
                vec![],
            )
            .await;
        assert_eq!(labels, serde_json::json!(["High", "High", "", "", ""]));
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn markup_and_script_links_in_content_are_inert() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let id = f
            .notify("<img src=x onerror=\"window.__pwned=1\"> and [x](javascript:window.__pwned=1)")
            .await;
        f.open().await;
        f.browser.wait_badge("1").await;
        let item = format!("[data-herald-item][data-notification-id='{id}']");

        // Click every link the item has (there should be none that runs script).
        let links = f
            .browser
            .client
            .find_all(fantoccini::Locator::Css(&format!("{item} a")))
            .await
            .expect("find links");
        for link in links {
            let _ = link.click().await;
        }
        let state = f
            .browser
            .js(
                "const item = document.querySelector(arguments[0]);
                 return {
                   pwned: typeof window.__pwned,
                   imgs: item.querySelectorAll('img').length,
                   text: item.innerText,
                   hrefs: [...item.querySelectorAll('a')].map(a => a.getAttribute('href')),
                 };",
                vec![item.clone().into()],
            )
            .await;
        assert_eq!(state["pwned"], "undefined", "{state}");
        assert_eq!(state["imgs"], 0, "{state}");
        assert!(
            state["text"].as_str().unwrap_or_default().contains("<img"),
            "the markup is shown as text: {state}"
        );
        for href in state["hrefs"].as_array().unwrap() {
            assert!(
                !href
                    .as_str()
                    .unwrap_or_default()
                    .trim()
                    .to_lowercase()
                    .starts_with("javascript:"),
                "{state}"
            );
        }
        f.browser.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_open_in_a_new_tab_without_opener_or_referrer() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let id = f.notify("see [site](https://example.com)").await;
        f.open().await;
        f.browser.wait_badge("1").await;
        let link = f
            .browser
            .js(
                "const a = document.querySelector(`[data-notification-id='${arguments[0]}'] a`);
                 return a && [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel'), a.textContent];",
                vec![id.into()],
            )
            .await;
        assert_eq!(link[0], "https://example.com", "{link}");
        assert_eq!(link[1], "_blank", "{link}");
        let rel = link[2].as_str().unwrap_or_default();
        assert!(
            rel.split_whitespace().any(|r| r == "noopener"),
            "{link}"
        );
        assert!(
            rel.split_whitespace().any(|r| r == "noreferrer"),
            "{link}"
        );
        assert_eq!(link[3], "site");
        f.browser.close().await;
    })
    .await;
}

/// The picture in the README: saved to `target/widget-screenshot.png`, and
/// to `docs/widget.png` when `HERALD_UPDATE_SCREENSHOT=1`.
#[tokio::test(flavor = "multi_thread")]
async fn screenshot_of_the_standalone_widget() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let weekly = f
            .notify("The weekly report is *ready*: [open it](https://example.com/reports)")
            .await;
        f.set_status(&weekly, NotificationStatus::Read).await;
        f.notify_with(
            Low,
            &[(LocaleCode::EnUs, "Shift swap approved for `Friday 14:00`")],
        )
        .await;
        f.notify_with(
            High,
            &[(
                LocaleCode::EnUs,
                "Queue **Billing** is over its service level — see the [dashboard](https://example.com/dash)",
            )],
        )
        .await;
        let hidden = f.notify("hidden").await;
        f.set_status(&hidden, NotificationStatus::Hidden).await;
        f.notify_with(
            High,
            &[(LocaleCode::EnUs, "**Outage**: phone lines in Berlin are down")],
        )
        .await;
        f.browser
            .client
            .set_window_size(520, 560)
            .await
            .expect("window size");
        f.open().await;
        f.browser.wait_badge("3").await;
        assert_eq!(f.browser.items().await.len(), 4);

        let png = f.browser.screenshot().await;
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        // crates/herald → the workspace root.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .expect("the workspace root")
            .to_path_buf();
        let target = root.join("target");
        std::fs::create_dir_all(&target).expect("create target/");
        let path = target.join("widget-screenshot.png");
        std::fs::write(&path, &png).expect("write the screenshot");
        println!("screenshot: {}", path.display());
        if std::env::var("HERALD_UPDATE_SCREENSHOT").as_deref() == Ok("1") {
            let docs = root.join("docs/widget.png");
            std::fs::write(&docs, &png).expect("write docs/widget.png");
            println!("updated: {}", docs.display());
        }
        f.browser.close().await;
    })
    .await;
}
