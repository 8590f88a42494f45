//! Headless Chromium driven through chromedriver, and a Herald server
//! with one user whose widget a test opens.

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_connect::Client;
use aws_sdk_connect::types::{ConfigurableNotificationPriority, LocaleCode, NotificationStatus};
use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::*;

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a test waits for the page to show what it expects.
pub const WAIT: Duration = Duration::from_secs(5);
/// The bound on a whole test: nothing may hang CI.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long chromedriver may take to answer, and Chrome to start.
const DRIVER_STARTUP: Duration = Duration::from_secs(20);

/// Runs a test body under [`TEST_TIMEOUT`].
pub async fn bounded(body: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(TEST_TIMEOUT, body).await.is_err() {
        panic!("browser test did not finish within {TEST_TIMEOUT:?}");
    }
}

/// A chromedriver of this test and the Chrome session it runs. Dropping it
/// kills both (chromedriver runs in its own process group, which Chrome
/// and its helpers inherit; killing chromedriver alone leaves them).
pub struct Browser {
    pub client: fantoccini::Client,
    // Before the profile: Chrome is gone when its directory is removed.
    _driver: Driver,
    _profile: TempDir,
}

impl Browser {
    /// Starts Chrome with `lang` as its UI and Accept-Language, or returns
    /// `None` (after saying SKIPPED) when chromedriver is not installed and
    /// `HERALD_REQUIRE_BROWSER=1` is not set.
    pub async fn start(lang: &str) -> Option<Browser> {
        if !Path::new(CHROMEDRIVER).exists() {
            if std::env::var("HERALD_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!(
                    "HERALD_REQUIRE_BROWSER=1 but {CHROMEDRIVER} is missing \
                     (apt-get install chromium chromium-driver)"
                );
            }
            println!(
                "SKIPPED: {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
            );
            return None;
        }
        let port = free_port();
        let driver = Driver(Some(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("spawn chromedriver"),
        ));
        let profile = tempfile::Builder::new()
            .prefix("herald-chrome-")
            .tempdir()
            .expect("create a Chrome profile dir");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("reqwest client");
        eventually(DRIVER_STARTUP, "chromedriver to answer /status", || async {
            let resp = http.get(format!("{url}/status")).send().await.ok()?;
            resp.status().is_success().then_some(())
        })
        .await;
        let profile_dir = profile.path().to_str().expect("UTF-8 temp path");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                // Running as root; and without the background-networking
                // flags Chromium keeps dialling out of this closed network.
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=520,720",
                    format!("--user-data-dir={profile_dir}"),
                    format!("--lang={lang}"),
                ],
                "prefs": { "intl.accept_languages": lang },
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let client = tokio::time::timeout(DRIVER_STARTUP, builder.connect(&url))
            .await
            .unwrap_or_else(|_| panic!("Chrome did not start within {DRIVER_STARTUP:?}"))
            .unwrap_or_else(|e| panic!("cannot start a Chrome session: {e}"));
        Some(Browser {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Ends the session (Chrome quits and lets go of its profile); the
    /// processes are killed on drop in any case.
    pub async fn close(self) {
        let client = self.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The badge's text, or "" when it is hidden (or absent).
    pub async fn badge(&self) -> String {
        let v = self
            .js(
                "const b = document.querySelector('[data-herald-badge]');
                 if (!b || b.hidden || getComputedStyle(b).display === 'none') return '';
                 return b.textContent.trim();",
                vec![],
            )
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// The items shown, top to bottom.
    pub async fn items(&self) -> Vec<Shown> {
        let v = self
            .js(
                "return [...document.querySelectorAll('[data-herald-item]')].map(e => ({
                   id: e.getAttribute('data-notification-id'),
                   status: e.getAttribute('data-status'),
                   text: e.innerText,
                 }));",
                vec![],
            )
            .await;
        v.as_array()
            .expect("an array")
            .iter()
            .map(|e| Shown {
                id: e["id"].as_str().unwrap_or_default().to_string(),
                status: e["status"].as_str().unwrap_or_default().to_string(),
                text: e["text"].as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }

    /// The item shown for `id`.
    pub async fn item(&self, id: &str) -> Option<Shown> {
        self.items().await.into_iter().find(|i| i.id == id)
    }

    /// Waits until the badge reads `want` ("" = hidden).
    pub async fn wait_badge(&self, want: &str) {
        self.wait_badge_within(want, WAIT).await;
    }

    pub async fn wait_badge_within(&self, want: &str, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let now = self.badge().await;
            if now == want {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out after {timeout:?} waiting for the badge to read {want:?}; it reads {now:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the item `id` is shown with `status`.
    pub async fn wait_status(&self, id: &str, status: &str) {
        let what = format!("notification {id} shown as {status}");
        eventually(WAIT, &what, || async {
            (self.item(id).await?.status == status).then_some(())
        })
        .await;
    }

    /// Waits until the item `id` is gone from the page.
    pub async fn wait_gone(&self, id: &str) {
        let what = format!("notification {id} to leave the page");
        eventually(WAIT, &what, || async {
            self.item(id).await.is_none().then_some(())
        })
        .await;
    }

    /// Clicks (as a user would: it must be visible) the first match of `css`.
    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Clicks the button `action` of the item `id`.
    pub async fn click_action(&self, id: &str, action: &str) {
        self.click(&format!(
            "[data-herald-item][data-notification-id='{id}'] [data-herald-action='{action}']"
        ))
        .await;
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        self.client.screenshot().await.expect("screenshot")
    }
}

/// The chromedriver process, leader of its own process group.
struct Driver(Option<Child>);

impl Drop for Driver {
    /// SIGKILLs the whole group (chromedriver, Chrome and all Chrome's
    /// helpers) and reaps chromedriver.
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port free a moment ago (chromedriver takes only a port number).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// One item as the page shows it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: String,
    pub status: String,
    pub text: String,
}

/// What `POST /_herald/widget-sessions` hands out.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub widget_url: String,
}

/// A server, an instance with one user, and a browser for that user's
/// widget.
pub struct Fixture {
    pub server: Server,
    pub sdk: Client,
    pub instance: InstanceRef,
    pub user: UserRef,
    pub browser: Browser,
}

impl Fixture {
    /// `None` when the browser tests are skipped.
    pub async fn new(lang: &str) -> Option<Fixture> {
        let browser = Browser::start(lang).await?;
        let server = Server::start().await;
        let sdk = server.client();
        let instance = create_instance(&sdk).await;
        let user = create_user(&sdk, &instance.id, "agent").await;
        Some(Fixture {
            server,
            sdk,
            instance,
            user,
            browser,
        })
    }

    /// A widget session for the user, made with the admin key.
    pub async fn session(&self) -> Session {
        let body = json!({ "InstanceId": self.instance.id, "UserId": self.user.id });
        let raw = create_widget_session(&self.server, &Signer::test(), body).await;
        let out = raw.assert_ok();
        let token = out["Token"].as_str().expect("Token").to_string();
        let widget_url = out["WidgetUrl"].as_str().expect("WidgetUrl").to_string();
        assert!(
            out["ExpiresAt"].as_f64().is_some(),
            "ExpiresAt is a number: {out}"
        );
        Session { token, widget_url }
    }

    /// Opens the standalone widget page and waits until its stream has
    /// delivered the first snapshot (the empty state or an item shows).
    pub async fn open(&self) -> Session {
        let session = self.session().await;
        self.browser.goto(&session.widget_url).await;
        self.wait_connected().await;
        session
    }

    pub async fn wait_connected(&self) {
        eventually(WAIT, "the widget to connect", || async {
            let state = self
                .browser
                .js(
                    "const w = document.querySelector('herald-notifications');
                     return w && w.getAttribute('data-herald-connection');",
                    vec![],
                )
                .await;
            (state.as_str() == Some("open")).then_some(())
        })
        .await;
    }

    /// CreateNotification to the user: `priority`, content per locale.
    pub async fn notify_with(
        &self,
        priority: ConfigurableNotificationPriority,
        content: &[(LocaleCode, &str)],
    ) -> String {
        let mut req = self
            .sdk
            .create_notification()
            .instance_id(&self.instance.id)
            .recipients(&self.user.arn)
            .priority(priority);
        for (locale, text) in content {
            req = req.content(locale.clone(), *text);
        }
        ok(req.send().await).notification_id().to_string()
    }

    /// CreateNotification to the user, LOW, en_US `text`.
    pub async fn notify(&self, text: &str) -> String {
        notify(&self.sdk, &self.instance.id, &[&self.user.arn], text)
            .await
            .id
    }

    /// UpdateUserNotificationStatus for the user.
    pub async fn set_status(&self, id: &str, status: NotificationStatus) {
        ok(self
            .sdk
            .update_user_notification_status()
            .instance_id(&self.instance.id)
            .user_id(&self.user.id)
            .notification_id(id)
            .status(status)
            .send()
            .await);
    }

    /// ListUserNotifications: every notification's status for the user.
    pub async fn api_statuses(&self) -> HashMap<String, NotificationStatus> {
        list_user_notifications_all(&self.sdk, &self.instance.id, &self.user.id)
            .await
            .into_iter()
            .map(|n| {
                (
                    n.notification_id.unwrap_or_default(),
                    n.notification_status.expect("NotificationStatus"),
                )
            })
            .collect()
    }

    /// Waits until ListUserNotifications reports `status` for `id`.
    pub async fn wait_api_status(&self, id: &str, status: NotificationStatus) {
        let what = format!("ListUserNotifications to report {status:?} for {id}");
        eventually(WAIT, &what, || async {
            (self.api_statuses().await.get(id) == Some(&status)).then_some(())
        })
        .await;
    }
}
