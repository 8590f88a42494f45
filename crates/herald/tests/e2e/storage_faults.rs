//! Storage faults on the embedded store: the data directory's disk fills
//! up (a small tmpfs mounted for the test, filled by a file beside the
//! store) and, separately, is read-only from the start.
//!
//! Mounting needs root. CI runs as root and sets `HERALD_REQUIRE_MOUNT=1`,
//! so there these tests fail rather than skip; elsewhere they print
//! `SKIPPED` when mounting is not allowed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::LocaleCode;

/// A tmpfs mounted on a fresh directory; unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (after saying so) where mounting is not allowed.
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::Builder::new()
            .prefix("herald-disk-")
            .tempdir()
            .expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(SmallDisk { dir }),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var_os("HERALD_REQUIRE_MOUNT").is_none(),
                    "HERALD_REQUIRE_MOUNT is set but a tmpfs cannot be mounted: {why}"
                );
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs here ({why}); run as root to test storage faults"
                );
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "remount {options} failed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazy: a server still running on it must not keep it mounted.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the filesystem with `path` until the disk refuses more.
fn fill(path: &PathBuf) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("filler");
    let block = vec![0xA5u8; 64 * 1024];
    loop {
        if file.write_all(&block).is_err() {
            break;
        }
    }
    // Whatever part of a block fitted: fill the last bytes one by one.
    while file.write_all(&[0]).is_ok() {}
    let _ = file.sync_all();
}

pub(super) async fn create(
    client: &Client,
    instance_id: &str,
    recipient: &str,
    text: &str,
) -> Result<String, ApiError> {
    client
        .create_notification()
        .instance_id(instance_id)
        .recipients(recipient)
        .content(LocaleCode::EnUs, text)
        .send()
        .await
        .map(|out| out.notification_id().to_owned())
        .map_err(|e| api_error(&e))
}

async fn content_of(client: &Client, instance_id: &str, id: &str) -> Option<String> {
    let out = ok(client
        .describe_notification()
        .instance_id(instance_id)
        .notification_id(id)
        .send()
        .await);
    out.notification()
        .and_then(|n| n.content())
        .and_then(|c| c.get(&LocaleCode::EnUs))
        .cloned()
}

/// A status change is refused as the creates are.
pub(super) async fn assert_status_write_refused(
    client: &Client,
    instance_id: &str,
    user_id: &str,
    notification_id: &str,
) {
    let status = client
        .update_user_notification_status()
        .instance_id(instance_id)
        .user_id(user_id)
        .notification_id(notification_id)
        .status(aws_sdk_connect::types::NotificationStatus::Read)
        .send()
        .await;
    assert_eq!(expect_err(status).code, "InternalServiceException");
}

/// Every acknowledged (id, text) describes with its text.
pub(super) async fn assert_all_readable(
    client: &Client,
    instance_id: &str,
    acknowledged: &[(String, String)],
) {
    for (id, text) in acknowledged {
        assert_eq!(
            content_of(client, instance_id, id).await.as_deref(),
            Some(text.as_str()),
            "acknowledged {id} lost or changed"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_fails_writes_clearly_keeps_reads_and_recovers() {
    let Some(disk) = SmallDisk::mount("16m") else {
        return;
    };
    let mut server = Server::launch(Launch {
        data_dir: Some(disk.path().join("data")),
        ..Launch::default()
    })
    .await;
    let client = server.client();
    let instance = create_instance(&client).await;
    let user = create_user(&client, &instance.id, "agent").await;
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let text = format!("before the disk filled {i}");
        let id = create(&client, &instance.id, &user.arn, &text)
            .await
            .expect("create");
        acknowledged.push((id, text));
    }

    let filler = disk.path().join("filler");
    fill(&filler);
    // The store may still have room in pages it holds; it must run out
    // within a bounded number of writes and then fail every one clearly.
    let padding = "x".repeat(400);
    let mut refusal = None;
    for i in 0..2_000 {
        let text = format!("while full {i} {padding}");
        match create(&client, &instance.id, &user.arn, &text).await {
            Ok(id) => acknowledged.push((id, text)),
            Err(error) => {
                refusal = Some(error);
                break;
            }
        }
    }
    let refusal = refusal.expect("2,000 writes to a full disk all succeeded");
    eprintln!(
        "disk full after {} acknowledged writes: {refusal:?}",
        acknowledged.len()
    );
    assert_eq!(refusal.status, 500, "{refusal:?}");
    assert_eq!(refusal.code, "InternalServiceException", "{refusal:?}");
    assert!(refusal.message.contains("storage is full"), "{refusal:?}");
    // A second write is refused the same way, and a status change too.
    let again = create(&client, &instance.id, &user.arn, "still full").await;
    assert_eq!(
        again.expect_err("write on a full disk").code,
        "InternalServiceException"
    );
    assert_status_write_refused(&client, &instance.id, &user.id, &acknowledged[0].0).await;

    // Reads keep working, and every acknowledged write is readable.
    assert_all_readable(&client, &instance.id, &acknowledged).await;
    let listed = list_user_notifications_all(&client, &instance.id, &user.id).await;
    assert_eq!(
        listed.len(),
        acknowledged.len(),
        "listing disagrees after the refusals"
    );

    // Space returns: writes work again, without a restart.
    std::fs::remove_file(&filler).expect("remove filler");
    let id = create(&client, &instance.id, &user.arn, "after space returned")
        .await
        .expect("write once space returned");
    acknowledged.push((id, "after space returned".to_owned()));

    // Nothing was damaged: a crash and a restart keep every acknowledged write.
    server.kill9().await;
    let client = server.client();
    assert_all_readable(&client, &instance.id, &acknowledged).await;
    let listed = list_user_notifications_all(&client, &instance.id, &user.id).await;
    assert_eq!(listed.len(), acknowledged.len());
}

/// A data directory on a read-only filesystem: Herald refuses to start and
/// says why, rather than serving without being able to write.
#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_data_directory_is_refused_at_start() {
    let Some(disk) = SmallDisk::mount("8m") else {
        return;
    };
    // A real store first, then the filesystem turns read-only under it.
    let data_dir = disk.path().join("data");
    let mut server = Server::launch(Launch {
        data_dir: Some(data_dir.clone()),
        ..Launch::default()
    })
    .await;
    let client = server.client();
    let instance = create_instance(&client).await;
    server.stop().await;
    disk.remount("ro");

    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .output()
        .expect("run herald");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "herald started on a read-only data directory"
    );
    assert!(stderr.contains("read-only"), "no clear reason: {stderr}");

    // Writable again, the store is as it was.
    disk.remount("rw");
    server.start_again().await;
    let client = server.client();
    ok(client
        .describe_instance()
        .instance_id(&instance.id)
        .send()
        .await);
}
