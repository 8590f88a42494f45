//! Crash consistency: mixed writes from several clients, SIGKILL at a
//! random moment, restart, and check the store against what was
//! acknowledged — over ten rounds on one data directory (or database).
//!
//! Each client works on its own notifications, one request at a time, so at
//! the kill each has at most one write in flight. After the restart that
//! write is either wholly there or wholly absent; every acknowledged write
//! is there; nothing else is; and listings agree with describes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::{LocaleCode, NotificationStatus};

const ROUNDS: u64 = 10;
const WORKERS: usize = 4;
/// A worker deletes rather than creates beyond this, to keep the checks
/// of every round small.
const MAX_NOTES_PER_WORKER: usize = 30;

#[derive(Debug, Clone)]
struct Note {
    id: String,
    text: String,
    broadcast: bool,
    /// The status of the worker's own user (the only one it changes).
    status: NotificationStatus,
}

/// The write a worker had sent when the server died, unanswered.
#[derive(Debug, Clone)]
enum InFlight {
    Create {
        text: String,
        broadcast: bool,
    },
    Content {
        id: String,
        text: String,
    },
    Status {
        id: String,
        status: NotificationStatus,
    },
    Delete {
        id: String,
    },
}

struct Worker {
    index: usize,
    user: UserRef,
    notes: Vec<Note>,
    in_flight: Option<InFlight>,
    writes: u64,
    rng: u64,
}

impl Worker {
    fn next_random(&mut self) -> u64 {
        // xorshift64: reproducible per seed, no dependency for a test.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn pick(&mut self) -> usize {
        (self.next_random() % self.notes.len() as u64) as usize
    }

    /// Sends writes until the server stops answering or `stop` is set.
    async fn run(mut self, client: Client, instance: InstanceRef, stop: Arc<AtomicBool>) -> Self {
        while !stop.load(Ordering::Relaxed) {
            self.writes += 1;
            let roll = self.next_random() % 100;
            let write =
                if self.notes.len() < 3 || (roll < 35 && self.notes.len() < MAX_NOTES_PER_WORKER) {
                    InFlight::Create {
                        text: format!("w{}-create-{}", self.index, self.writes),
                        broadcast: roll.is_multiple_of(5),
                    }
                } else if roll < 55 {
                    let picked = self.pick();
                    let id = self.notes[picked].id.clone();
                    InFlight::Content {
                        id,
                        text: format!("w{}-edit-{}", self.index, self.writes),
                    }
                } else if roll < 85 {
                    let picked = self.pick();
                    let id = self.notes[picked].id.clone();
                    let status = match self.next_random() % 3 {
                        0 => NotificationStatus::Read,
                        1 => NotificationStatus::Unread,
                        _ => NotificationStatus::Hidden,
                    };
                    InFlight::Status { id, status }
                } else {
                    let picked = self.pick();
                    let id = self.notes[picked].id.clone();
                    InFlight::Delete { id }
                };
            self.in_flight = Some(write.clone());
            match self.send(&client, &instance, &write).await {
                Some(created_id) => {
                    self.acknowledge(write, created_id);
                    self.in_flight = None;
                }
                // The server is gone: the write stays in flight.
                None => break,
            }
        }
        self
    }

    /// The write's answer: `Some` (the created id, or empty) when
    /// acknowledged, `None` when no answer came. An error answer is a bug.
    async fn send(
        &self,
        client: &Client,
        instance: &InstanceRef,
        write: &InFlight,
    ) -> Option<String> {
        let answered = match write {
            InFlight::Create { text, broadcast } => {
                let recipient = if *broadcast {
                    &instance.arn
                } else {
                    &self.user.arn
                };
                client
                    .create_notification()
                    .instance_id(&instance.id)
                    .recipients(recipient)
                    .content(LocaleCode::EnUs, text)
                    .send()
                    .await
                    .map(|out| out.notification_id().to_owned())
                    .map_err(describe_failure)
            }
            InFlight::Content { id, text } => client
                .update_notification_content()
                .instance_id(&instance.id)
                .notification_id(id)
                .content(LocaleCode::EnUs, text)
                .send()
                .await
                .map(|_| String::new())
                .map_err(describe_failure),
            InFlight::Status { id, status } => client
                .update_user_notification_status()
                .instance_id(&instance.id)
                .user_id(&self.user.id)
                .notification_id(id)
                .status(status.clone())
                .send()
                .await
                .map(|_| String::new())
                .map_err(describe_failure),
            InFlight::Delete { id } => client
                .delete_notification()
                .instance_id(&instance.id)
                .notification_id(id)
                .send()
                .await
                .map(|_| String::new())
                .map_err(describe_failure),
        };
        match answered {
            Ok(created) => Some(created),
            Err(Failure::NoAnswer) => None,
            Err(Failure::Answered(text)) => {
                panic!("worker {}: {write:?} answered {text}", self.index)
            }
        }
    }

    fn acknowledge(&mut self, write: InFlight, created_id: String) {
        match write {
            InFlight::Create { text, broadcast } => self.notes.push(Note {
                id: created_id,
                text,
                broadcast,
                status: NotificationStatus::Unread,
            }),
            InFlight::Content { id, text } => self.note_mut(&id).text = text,
            InFlight::Status { id, status } => self.note_mut(&id).status = status,
            InFlight::Delete { id } => self.notes.retain(|n| n.id != id),
        }
    }

    fn note_mut(&mut self, id: &str) -> &mut Note {
        self.notes
            .iter_mut()
            .find(|n| n.id == id)
            .unwrap_or_else(|| panic!("note {id} is not in the model"))
    }
}

enum Failure {
    NoAnswer,
    Answered(String),
}

fn describe_failure<E: aws_sdk_connect::error::ProvideErrorMetadata + std::fmt::Debug>(
    err: aws_sdk_connect::error::SdkError<E, aws_sdk_connect::config::http::HttpResponse>,
) -> Failure {
    if err.raw_response().is_none() {
        return Failure::NoAnswer;
    }
    let error = api_error(&err);
    Failure::Answered(format!(
        "HTTP {} {}: {}",
        error.status, error.code, error.message
    ))
}

fn en_text(content: Option<&std::collections::HashMap<LocaleCode, String>>) -> Option<String> {
    content.and_then(|c| c.get(&LocaleCode::EnUs)).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_sigkill_rounds_lose_no_acknowledged_write() {
    let mut server = Server::start().await;
    let setup = server.client();
    let instance = create_instance(&setup).await;
    let users = create_users(&setup, &instance.id, WORKERS).await;
    let mut workers: Vec<Worker> = users
        .into_iter()
        .enumerate()
        .map(|(index, user)| Worker {
            index,
            user,
            notes: Vec::new(),
            in_flight: None,
            writes: 0,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1),
        })
        .collect();
    let mut timing = 0x2545_F491_4F6C_DD1Du64;
    let mut in_flight_at_kill = 0;

    for round in 0..ROUNDS {
        let client = server.client();
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = workers
            .drain(..)
            .map(|w| tokio::spawn(w.run(client.clone(), instance.clone(), stop.clone())))
            .collect();
        timing ^= timing << 13;
        timing ^= timing >> 7;
        timing ^= timing << 17;
        tokio::time::sleep(Duration::from_millis(150 + timing % 900)).await;
        server.kill9_and_settle().await;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            workers.push(task.await.expect("worker"));
        }
        in_flight_at_kill += workers.iter().filter(|w| w.in_flight.is_some()).count();
        check_and_settle(&server.client(), &instance, &mut workers, round).await;
    }
    let writes: u64 = workers.iter().map(|w| w.writes).sum();
    eprintln!("{ROUNDS} kills, {writes} writes, {in_flight_at_kill} in flight at a kill");
    // Some rounds must have cut a write off, or the test proved little.
    assert!(
        in_flight_at_kill > 0,
        "no kill caught a write in flight over {ROUNDS} rounds"
    );
}

/// Compares the restarted server with the model, deciding each in-flight
/// write by what the server holds (which must be all of it or none).
async fn check_and_settle(
    client: &Client,
    instance: &InstanceRef,
    workers: &mut [Worker],
    round: u64,
) {
    let listed: BTreeMap<String, Option<String>> = list_notifications_all(client, &instance.id)
        .await
        .into_iter()
        .map(|n| {
            let text = en_text(n.content());
            (n.id, text)
        })
        .collect();

    // Settle the in-flight creates, content edits and deletes.
    for worker in workers.iter_mut() {
        match worker.in_flight.clone() {
            Some(InFlight::Create { text, broadcast }) => {
                let found: Vec<&String> = listed
                    .iter()
                    .filter(|(_, t)| t.as_deref() == Some(text.as_str()))
                    .map(|(id, _)| id)
                    .collect();
                assert!(
                    found.len() <= 1,
                    "round {round}: create {text} applied {} times",
                    found.len()
                );
                if let Some(id) = found.first() {
                    worker.acknowledge(InFlight::Create { text, broadcast }, (*id).clone());
                }
            }
            Some(InFlight::Content { id, text }) => {
                if listed
                    .get(&id)
                    .is_some_and(|t| t.as_deref() == Some(text.as_str()))
                {
                    worker.note_mut(&id).text = text;
                }
            }
            Some(InFlight::Delete { id }) => {
                if !listed.contains_key(&id) {
                    worker.notes.retain(|n| n.id != id);
                }
            }
            Some(InFlight::Status { .. }) | None => {}
        }
    }

    let expected: BTreeSet<&String> = workers
        .iter()
        .flat_map(|w| w.notes.iter().map(|n| &n.id))
        .collect();
    let actual: BTreeSet<&String> = listed.keys().collect();
    assert_eq!(
        actual, expected,
        "round {round}: notifications lost or resurrected"
    );

    for note in workers.iter().flat_map(|w| w.notes.iter()) {
        let described = ok(client
            .describe_notification()
            .instance_id(&instance.id)
            .notification_id(&note.id)
            .send()
            .await);
        let described = described.notification().expect("Notification");
        assert_eq!(
            en_text(described.content()),
            Some(note.text.clone()),
            "round {round}: content of {}",
            note.id
        );
        assert_eq!(
            listed[&note.id],
            Some(note.text.clone()),
            "round {round}: listing and describe disagree on {}",
            note.id
        );
    }

    // Each user's listing: their own direct notes and every broadcast, with
    // the statuses their worker set (broadcasts of other workers stay UNREAD).
    let broadcasts: BTreeSet<String> = workers
        .iter()
        .flat_map(|w| w.notes.iter().filter(|n| n.broadcast).map(|n| n.id.clone()))
        .collect();
    for (index, worker) in workers.iter_mut().enumerate() {
        let seen: BTreeMap<String, NotificationStatus> =
            list_user_notifications_all(client, &instance.id, &worker.user.id)
                .await
                .into_iter()
                .map(|n| {
                    let id = n.notification_id().expect("NotificationId").to_owned();
                    (
                        id,
                        n.notification_status()
                            .cloned()
                            .expect("NotificationStatus"),
                    )
                })
                .collect();
        if let Some(InFlight::Status { id, status }) = worker.in_flight.clone()
            && seen.get(&id) == Some(&status)
        {
            worker.note_mut(&id).status = status;
        }
        let mut wanted: BTreeMap<String, NotificationStatus> = broadcasts
            .iter()
            .map(|id| (id.clone(), NotificationStatus::Unread))
            .collect();
        for note in &worker.notes {
            wanted.insert(note.id.clone(), note.status.clone());
        }
        assert_eq!(seen, wanted, "round {round}: user {index}'s listing");
        worker.in_flight = None;
    }
}
