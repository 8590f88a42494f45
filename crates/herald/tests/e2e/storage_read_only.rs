//! The data directory's filesystem turning read-only under a running
//! Herald, as ext4 does on a disk error (`errors=remount-ro`): an ext4
//! image on a loop device, failed on purpose through ext4's
//! `trigger_fs_error`. (A plain `mount -o remount,ro` is refused while the
//! store's files are open for writing.)
//!
//! Needs root, `losetup`, `mkfs.ext4` and `e2fsck`; skips (saying so)
//! without them unless `HERALD_REQUIRE_MOUNT` is set, as in CI.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::storage_faults::{assert_all_readable, assert_status_write_refused, create};
use crate::common::*;

/// An ext4 filesystem in a file, on a loop device, mounted with
/// `errors=remount-ro`; unmounted and detached when dropped.
struct Ext4Disk {
    image: PathBuf,
    device: String,
    mount: tempfile::TempDir,
    _image_dir: tempfile::TempDir,
}

fn run(program: &str, args: &[&str]) -> Result<String, String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
        Ok(out) => Err(format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("{program}: {e}")),
    }
}

impl Ext4Disk {
    fn make() -> Option<Ext4Disk> {
        match Ext4Disk::try_make() {
            Ok(disk) => Some(disk),
            Err(why) => {
                assert!(
                    std::env::var_os("HERALD_REQUIRE_MOUNT").is_none(),
                    "HERALD_REQUIRE_MOUNT is set but an ext4 loop device cannot be set up: {why}"
                );
                eprintln!(
                    "SKIPPED: cannot set up an ext4 loop device here ({why}); run as root to test a read-only turn"
                );
                None
            }
        }
    }

    fn try_make() -> Result<Ext4Disk, String> {
        let image_dir = tempfile::Builder::new()
            .prefix("herald-ext4-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let image = image_dir.path().join("disk.img");
        std::fs::File::create(&image)
            .and_then(|f| f.set_len(64 << 20))
            .map_err(|e| e.to_string())?;
        let image_arg = image.to_str().ok_or("image path")?;
        run("mkfs.ext4", &["-q", "-F", image_arg])?;
        let device = run("losetup", &["-f", "--show", image_arg])?;
        // A loop device reused from an earlier run may still be flagged
        // read-only.
        let mount = tempfile::Builder::new()
            .prefix("herald-ext4-mnt-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let disk = Ext4Disk {
            image,
            device,
            mount,
            _image_dir: image_dir,
        };
        run("blockdev", &["--setrw", &disk.device])?;
        disk.mount_it()?;
        Ok(disk)
    }

    fn mount_it(&self) -> Result<(), String> {
        let target = self.path().to_str().ok_or("mount path")?;
        run("mount", &["-o", "errors=remount-ro", &self.device, target]).map(drop)
    }

    fn path(&self) -> &Path {
        self.mount.path()
    }

    /// What ext4 does on a disk error: from now on every write fails
    /// with EROFS, files already open included.
    fn fail(&self) {
        let name = Path::new(&self.device).file_name().expect("device name");
        let trigger = Path::new("/sys/fs/ext4")
            .join(name)
            .join("trigger_fs_error");
        std::fs::write(&trigger, "herald storage test").expect("trigger an ext4 error");
    }

    /// The operator's repair: unmount, check, mount again.
    fn repair(&self) {
        let target = self.path().to_str().expect("mount path");
        run("umount", &[target]).expect("umount");
        // e2fsck exits 1 when it fixed something (the recorded error).
        let checked = Command::new("e2fsck")
            .args(["-f", "-y"])
            .arg(&self.image)
            .output()
            .expect("run e2fsck");
        assert!(
            matches!(checked.status.code(), Some(0 | 1)),
            "e2fsck: {}",
            String::from_utf8_lossy(&checked.stdout)
        );
        self.mount_it().expect("mount again");
    }
}

impl Drop for Ext4Disk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.mount.path())
            .status();
        let _ = Command::new("losetup").args(["-d", &self.device]).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filesystem_turning_read_only_fails_writes_keeps_reads_and_loses_nothing() {
    let Some(disk) = Ext4Disk::make() else {
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
    for i in 0..10 {
        let text = format!("before the disk failed {i}");
        let id = create(&client, &instance.id, &user.arn, &text)
            .await
            .expect("create");
        acknowledged.push((id, text));
    }

    disk.fail();
    let refused = create(&client, &instance.id, &user.arn, "on a read-only disk")
        .await
        .expect_err("a write on a read-only filesystem succeeded");
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (500, "InternalServiceException"),
        "{refused:?}"
    );
    assert_status_write_refused(&client, &instance.id, &user.id, &acknowledged[0].0).await;

    // Reads keep working from what is stored.
    assert_all_readable(&client, &instance.id, &acknowledged).await;
    let listed = list_user_notifications_all(&client, &instance.id, &user.id).await;
    assert_eq!(listed.len(), acknowledged.len());
    let unread = listed
        .iter()
        .filter(|n| {
            n.notification_status() == Some(&aws_sdk_connect::types::NotificationStatus::Unread)
        })
        .count();
    assert_eq!(
        unread,
        acknowledged.len(),
        "the refused status change was applied"
    );

    // Repaired and restarted, the store has every acknowledged write and
    // nothing of the refused ones, and takes writes again.
    server.stop().await;
    disk.repair();
    server.start_again().await;
    let client = server.client();
    assert_all_readable(&client, &instance.id, &acknowledged).await;
    let listed = list_user_notifications_all(&client, &instance.id, &user.id).await;
    assert_eq!(
        listed.len(),
        acknowledged.len(),
        "a refused write appeared after the repair"
    );
    create(&client, &instance.id, &user.arn, "after the repair")
        .await
        .expect("write after the repair");
}
