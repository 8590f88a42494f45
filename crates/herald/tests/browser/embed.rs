//! The one-line embed on a page of another origin (CORS on the stream and
//! on the writes).

use aws_sdk_connect::types::NotificationStatus;

use crate::harness::*;

/// A host page on its own port, so its origin is not Herald's.
struct HostPage {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl HostPage {
    async fn serve(html: String) -> HostPage {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the host page");
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let html = html.clone();
                async move { axum::response::Html(html) }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        HostPage { url, task }
    }
}

impl Drop for HostPage {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Escapes text for a double-quoted HTML attribute.
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_script_tag_embeds_a_live_widget_on_another_origin() {
    bounded(async {
        let Some(f) = Fixture::new("en-US").await else {
            return;
        };
        let first = f.notify("already there").await;
        let session = f.session().await;
        let herald = f.server.endpoint();
        let page = HostPage::serve(format!(
            "<!doctype html><html><head><title>Host</title></head><body>\
             <p id=\"before\">Host page</p>\
             <script src=\"{}/_herald/widget.js\" data-token=\"{}\"></script>\
             <p id=\"after\">end</p></body></html>",
            attr(&herald),
            attr(&session.token)
        ))
        .await;
        assert!(!page.url.contains(f.server.addr()));
        f.browser.goto(&page.url).await;

        f.browser.wait_badge("1").await;
        // Right after the script tag, pointed at the script's server.
        let placed = f
            .browser
            .js(
                "const w = document.querySelector('herald-notifications');
                 return [w.previousElementSibling.tagName, w.nextElementSibling.id,
                         w.getAttribute('server'), document.querySelectorAll('herald-notifications').length,
                         document.querySelectorAll('style#herald-style').length];",
                vec![],
            )
            .await;
        assert_eq!(
            placed,
            serde_json::json!(["SCRIPT", "after", herald, 1, 1]),
            "{placed}"
        );

        // A live arrival there too.
        let second = f.notify("live on the host page").await;
        f.browser.wait_badge("2").await;

        // The bell opens the panel; a write goes through (CORS preflight).
        f.browser.click(".herald-bell").await;
        f.browser.click_action(&second, "read").await;
        f.browser.wait_status(&second, "READ").await;
        f.browser.wait_badge("1").await;
        f.wait_api_status(&second, NotificationStatus::Read).await;
        assert_eq!(
            f.api_statuses().await.get(&first),
            Some(&NotificationStatus::Unread)
        );
        // The bell closes it again.
        f.browser.click(".herald-bell").await;
        let hidden = f
            .browser
            .js("return document.querySelector('.herald-panel').hidden;", vec![])
            .await;
        assert_eq!(hidden, true);
        f.browser.close().await;
    })
    .await;
}
