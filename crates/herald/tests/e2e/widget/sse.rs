//! A small Server-Sent Events reader for the tests: reqwest chunks split
//! into events, every wait bounded.

use std::time::Duration;

use serde_json::Value;

use crate::common::Server;

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub name: String,
    pub id: Option<String>,
    pub data: Value,
}

pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
    /// Comments seen (heartbeats).
    pub comments: usize,
}

impl EventStream {
    /// Opens `/_herald/events?token=…`, with `Last-Event-ID` if given;
    /// panics unless the answer is a 200 event stream.
    pub async fn open(server: &Server, token: &str, last_event_id: Option<&str>) -> EventStream {
        let response = request(server, token, last_event_id).await;
        assert_eq!(response.status(), 200, "events: {:?}", response.status());
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(kind.starts_with("text/event-stream"), "content-type {kind}");
        EventStream {
            response,
            buffer: String::new(),
            comments: 0,
        }
    }

    /// The next event, or `None` if none comes within `within`.
    pub async fn next_within(&mut self, within: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(event) = self.take_buffered() {
                return Some(event);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .expect("the event stream broke");
            let chunk = chunk.expect("the event stream ended");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Whether the server ends the stream within `within` (events before
    /// the end are skipped).
    pub async fn ended_within(&mut self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(None)) | Ok(Err(_)) => return true,
                Ok(Ok(Some(_))) => {}
            }
        }
    }

    /// The next event, which must come within 5 s.
    pub async fn next(&mut self) -> SseEvent {
        self.next_within(Duration::from_secs(5))
            .await
            .expect("no event within 5 s")
    }

    /// The next event, which must be named `name`.
    pub async fn expect(&mut self, name: &str) -> SseEvent {
        let event = self.next().await;
        assert_eq!(event.name, name, "expected a {name} event, got {event:?}");
        event
    }

    fn take_buffered(&mut self) -> Option<SseEvent> {
        loop {
            let end = self.buffer.find("\n\n")?;
            let block: String = self.buffer.drain(..end + 2).collect();
            let mut name = "message".to_string();
            let mut id = None;
            let mut data = String::new();
            let mut only_comments = true;
            for line in block.lines() {
                if line.starts_with(':') {
                    self.comments += 1;
                    continue;
                }
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => name = value.to_string(),
                    "id" => id = Some(value.to_string()),
                    "data" => data.push_str(value),
                    _ => {}
                }
                only_comments = false;
            }
            if only_comments || data.is_empty() {
                continue;
            }
            let data = serde_json::from_str(&data).unwrap_or_else(|e| panic!("data {data}: {e}"));
            return Some(SseEvent { name, id, data });
        }
    }
}

pub async fn request(
    server: &Server,
    token: &str,
    last_event_id: Option<&str>,
) -> reqwest::Response {
    let mut url = server.url("/_herald/events");
    url.query_pairs_mut().append_pair("token", token);
    let client = reqwest::Client::builder().build().expect("reqwest client");
    let mut request = client.get(url);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    request.send().await.expect("GET /_herald/events")
}
