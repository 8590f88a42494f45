//! Open widget event streams on one node: 10,000 streams (1,000 users, ten
//! tabs each), the memory an idle stream costs, and how long an
//! instance-wide notification takes to reach every stream — the
//! notification itself, then each stream's new unread count — and a
//! direct one to reach its user's ten streams while the rest stay open.
//!
//! Run with `cargo bench -p herald --bench event_streams` (STREAMS=… and
//! USERS=… change the sizes). The server is the real binary on SQLite; the
//! streams are plain HTTP/1.1 connections from this process. This is a
//! benchmark, not a test: it asserts nothing about speed.

#[path = "../tests/e2e/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, mpsc};

const BACKEND: Backend = Backend::Sqlite;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server's resident memory, from /proc (KiB).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Reads from `socket` until `needle` has been seen `times` times in
/// total (counting from the start of the stream).
async fn read_until(socket: &mut TcpStream, seen: &mut String, needle: &str, times: usize) {
    let mut buffer = [0u8; 8192];
    while seen.matches(needle).count() < times {
        let n = socket.read(&mut buffer).await.expect("read the stream");
        assert!(n > 0, "the stream closed");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
}

enum Arrival {
    Notification(Instant),
    Count(Instant),
}

async fn session(server: &Server, instance_id: &str, user_id: &str) -> String {
    let body = serde_json::json!({ "InstanceId": instance_id, "UserId": user_id });
    let raw = create_widget_session(server, &Signer::test(), body).await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    raw.json()["Token"].as_str().unwrap().to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(what: &str, mut latencies: Vec<Duration>, expected: usize) {
    latencies.sort();
    let within = latencies
        .iter()
        .filter(|d| **d < Duration::from_secs(1))
        .count();
    println!(
        "{what}: {} of {expected} streams; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {within} within 1 s",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() {
    let streams = env_usize("STREAMS", 10_000);
    let users = env_usize("USERS", 1_000).min(streams).max(1);
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let server =
        Server::start_with(&["--max-connections", "16000", "--rate-limit-per-key", "off"]).await;
    let client = server.client();
    let instance = create_instance(&client).await;
    println!("creating {users} users and their widget sessions…");
    let mut people = Vec::new();
    let numbers: Vec<usize> = (0..users).collect();
    for chunk in numbers.chunks(32) {
        let made = futures_join(chunk.iter().map(|&i| {
            let client = client.clone();
            let instance_id = instance.id.clone();
            async move { create_user(&client, &instance_id, &format!("agent{i}")).await }
        }))
        .await;
        people.extend(made);
    }
    let mut tokens = Vec::new();
    for person in &people {
        tokens.push(session(&server, &instance.id, &person.id).await);
    }
    let before = rss_kib(server.pid());

    println!("opening {streams} streams…");
    let addr = server.addr().to_string();
    let ready = Arc::new(Barrier::new(streams + 1));
    let (arrivals, mut heard) = mpsc::unbounded_channel::<(usize, Arrival)>();
    let opening = Instant::now();
    let open_at_once = Arc::new(tokio::sync::Semaphore::new(256));
    for index in 0..streams {
        let token = tokens[index % users].clone();
        let addr = addr.clone();
        let ready = ready.clone();
        let arrivals = arrivals.clone();
        let open_at_once = open_at_once.clone();
        tokio::spawn(async move {
            let permit = open_at_once.acquire_owned().await.unwrap();
            let mut socket = TcpStream::connect(&addr).await.expect("connect");
            let request = format!(
                "GET /_herald/events?token={token} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
            );
            socket.write_all(request.as_bytes()).await.unwrap();
            let mut seen = String::new();
            read_until(&mut socket, &mut seen, "event: snapshot", 1).await;
            drop(permit);
            ready.wait().await;
            read_until(&mut socket, &mut seen, "event: notification", 1).await;
            let _ = arrivals.send((index, Arrival::Notification(Instant::now())));
            read_until(&mut socket, &mut seen, "event: unread", 1).await;
            let _ = arrivals.send((index, Arrival::Count(Instant::now())));
            // The direct notification, for this user's streams only.
            if index % users == 0 {
                read_until(&mut socket, &mut seen, "event: notification", 2).await;
                let _ = arrivals.send((index, Arrival::Notification(Instant::now())));
            }
            // Hold the connection until the benchmark ends.
            let mut rest = [0u8; 1024];
            while socket.read(&mut rest).await.map(|n| n > 0).unwrap_or(false) {}
        });
    }
    ready.wait().await;
    let opened = opening.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(server.pid());
    println!(
        "{streams} streams open in {:.1} s; server RSS {} MiB → {} MiB: {:.1} KiB per idle stream",
        opened.as_secs_f64(),
        before / 1024,
        after / 1024,
        (after.saturating_sub(before)) as f64 / streams as f64
    );

    let sent = Instant::now();
    notify(&client, &instance.id, &[&instance.arn], "to everyone").await;
    let acknowledged = sent.elapsed();
    let mut notified = Vec::new();
    let mut counted = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while notified.len() < streams || counted.len() < streams {
        match tokio::time::timeout_at(deadline, heard.recv()).await {
            Ok(Some((_, Arrival::Notification(at)))) => notified.push(at - sent),
            Ok(Some((_, Arrival::Count(at)))) => counted.push(at - sent),
            _ => break,
        }
    }
    println!(
        "instance-wide CreateNotification acknowledged in {:.1} ms",
        acknowledged.as_secs_f64() * 1e3
    );
    report("notification event", notified, streams);
    report("unread count event", counted, streams);

    let direct_streams = streams.div_ceil(users);
    let sent = Instant::now();
    notify(&client, &instance.id, &[&people[0].arn], "to one user").await;
    let mut direct = Vec::new();
    while direct.len() < direct_streams {
        match tokio::time::timeout(Duration::from_secs(10), heard.recv()).await {
            Ok(Some((_, Arrival::Notification(at)))) => direct.push(at - sent),
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    report(
        &format!("direct notification, its user's streams (of {streams} open)"),
        direct,
        direct_streams,
    );
    println!(
        "server RSS at the end: {} MiB",
        rss_kib(server.pid()) / 1024
    );
}

/// Runs the futures at once, in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}
