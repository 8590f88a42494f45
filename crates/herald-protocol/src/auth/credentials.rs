//! The keys Herald accepts: a TOML file of `[[keys]]` tables, re-read on
//! SIGHUP, or the single built-in `test`/`test` admin key.
//!
//! Lookups read an `ArcSwap` snapshot, so the request path takes no lock
//! and a reload never blocks or drops a request.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use herald_domain::{Caller, Role};
use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid credentials file: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// One `[[keys]]` table as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_user_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chime_bearer_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    #[serde(default)]
    keys: Vec<KeyEntry>,
}

/// A key Herald accepts: its secret and whom it authenticates.
pub struct Key {
    pub secret: String,
    pub caller: Caller,
}

impl std::fmt::Debug for Key {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
pub struct KeyRing {
    keys: HashMap<String, Arc<Key>>,
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

impl KeyEntry {
    fn into_key(self) -> Result<(String, Key), String> {
        let id = &self.access_key_id;
        if id.is_empty() || self.secret_access_key.is_empty() {
            return Err("every key needs a non-empty access_key_id and secret_access_key".into());
        }
        if !is_account_id(&self.account_id) {
            return Err(format!("key {id}: account_id must be 12 digits"));
        }
        let role =
            match self.role.as_str() {
                "admin" => Role::Admin,
                "connect-user" => Role::ConnectUser {
                    user_arn: self.connect_user_arn.clone().ok_or_else(|| {
                        format!("key {id}: role connect-user needs connect_user_arn")
                    })?,
                },
                "chime-user" => Role::ChimeUser {
                    bearer_arn: self.chime_bearer_arn.clone().ok_or_else(|| {
                        format!("key {id}: role chime-user needs chime_bearer_arn")
                    })?,
                },
                other => {
                    return Err(format!(
                        "key {id}: role '{other}' is not one of admin, connect-user, chime-user"
                    ));
                }
            };
        Ok((
            self.access_key_id,
            Key {
                secret: self.secret_access_key,
                caller: Caller {
                    account_id: self.account_id,
                    role,
                },
            },
        ))
    }
}

impl KeyRing {
    /// The safe default: one admin key.
    pub fn single_admin(access_key_id: &str, secret: &str, account_id: &str) -> Self {
        let mut keys = HashMap::new();
        keys.insert(
            access_key_id.to_owned(),
            Arc::new(Key {
                secret: secret.to_owned(),
                caller: Caller::admin(account_id),
            }),
        );
        KeyRing { keys }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, CredentialsError> {
        let invalid = |message: String| CredentialsError::Invalid {
            path: path.to_owned(),
            message,
        };
        let file: CredentialsFile =
            toml::from_str(text).map_err(|e| invalid(describe_toml_error(&e, text)))?;
        let mut keys = HashMap::new();
        for entry in file.keys {
            let (id, key) = entry.into_key().map_err(invalid)?;
            if keys.insert(id.clone(), Arc::new(key)).is_some() {
                return Err(invalid(format!("access_key_id {id} appears twice")));
            }
        }
        Ok(KeyRing { keys })
    }

    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn get(&self, access_key_id: &str) -> Option<Arc<Key>> {
        self.keys.get(access_key_id).cloned()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Where and why the TOML is wrong, without quoting the file: toml's own
/// rendering shows the offending line, which may hold a secret.
fn describe_toml_error(error: &toml::de::Error, text: &str) -> String {
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", error.message())
        }
        None => error.message().to_owned(),
    }
}

/// The keys in force, and where they come from.
pub struct Keys {
    current: ArcSwap<KeyRing>,
    source: Option<PathBuf>,
}

impl Keys {
    pub fn fixed(ring: KeyRing) -> Self {
        Keys {
            current: ArcSwap::from_pointee(ring),
            source: None,
        }
    }

    pub fn from_file(path: &Path) -> Result<Self, CredentialsError> {
        Ok(Keys {
            current: ArcSwap::from_pointee(KeyRing::load(path)?),
            source: Some(path.to_owned()),
        })
    }

    pub fn get(&self, access_key_id: &str) -> Option<Arc<Key>> {
        self.current.load().get(access_key_id)
    }

    /// Re-reads the file. On error the keys in force stay in force.
    pub fn reload(&self) -> Result<usize, CredentialsError> {
        let Some(path) = &self.source else {
            return Ok(self.current.load().len());
        };
        let ring = KeyRing::load(path)?;
        let count = ring.len();
        self.current.store(Arc::new(ring));
        Ok(count)
    }

    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }
}

/// A warning when the file can be read by group or others.
#[cfg(unix)]
pub fn exposure_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} is readable by group or others (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(not(unix))]
pub fn exposure_warning(_path: &Path) -> Option<String> {
    None
}

fn random_string(alphabet: &[u8], length: usize) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A new key with a fresh id and secret.
pub fn generate_entry(
    account_id: &str,
    role: &str,
    connect_user_arn: Option<String>,
    chime_bearer_arn: Option<String>,
) -> KeyEntry {
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    KeyEntry {
        access_key_id: format!("HKIA{}", random_string(UPPER, 16)),
        secret_access_key: random_string(SECRET, 40),
        account_id: account_id.to_owned(),
        role: role.to_owned(),
        connect_user_arn,
        chime_bearer_arn,
    }
}

/// Appends `entry` to the file (created with mode 0600 if absent), after
/// checking that the result is a valid credentials file.
pub fn append_entry(path: &Path, entry: KeyEntry) -> Result<(), CredentialsError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(CredentialsError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut file: CredentialsFile =
        toml::from_str(&existing).map_err(|e| CredentialsError::Invalid {
            path: path.to_owned(),
            message: describe_toml_error(&e, &existing),
        })?;
    file.keys.push(entry);
    let text = toml::to_string(&file).map_err(|e| CredentialsError::Invalid {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    KeyRing::parse(&text, path)?;
    write_private(path, &text)
}

/// Writes through a temporary file and a rename, so a reader (or a SIGHUP
/// reload) never sees half a file.
fn write_private(path: &Path, text: &str) -> Result<(), CredentialsError> {
    let write_error = |source| CredentialsError::Write {
        path: path.to_owned(),
        source,
    };
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        use std::io::Write;
        let mut file = options.open(&temporary).map_err(write_error)?;
        // A leftover temporary file keeps its old mode: set it explicitly.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(write_error)?;
        }
        file.write_all(text.as_bytes()).map_err(write_error)?;
        file.sync_all().map_err(write_error)?;
    }
    std::fs::rename(&temporary, path).map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[keys]]
access_key_id = "AKADMIN"
secret_access_key = "s1"
account_id = "111122223333"
role = "admin"

[[keys]]
access_key_id = "AKAGENT"
secret_access_key = "s2"
account_id = "111122223333"
role = "connect-user"
connect_user_arn = "arn:aws:connect:us-east-1:111122223333:instance/i/agent/u"
"#;

    #[test]
    fn parses_roles() {
        let ring = KeyRing::parse(FILE, Path::new("k.toml")).expect("valid");
        assert_eq!(ring.len(), 2);
        let agent = ring.get("AKAGENT").expect("present");
        assert_eq!(agent.secret, "s2");
        assert!(matches!(agent.caller.role, Role::ConnectUser { .. }));
        assert!(ring.get("nobody").is_none());
    }

    #[test]
    fn refuses_bad_files() {
        for bad in [
            "[[keys]]\naccess_key_id='a'\nsecret_access_key='s'\naccount_id='1'\nrole='admin'",
            "[[keys]]\naccess_key_id='a'\nsecret_access_key='s'\naccount_id='111122223333'\nrole='root'",
            "[[keys]]\naccess_key_id='a'\nsecret_access_key='s'\naccount_id='111122223333'\nrole='connect-user'",
            "[[keys]]\naccess_key_id='a'\nsecret_access_key='s'\naccount_id='111122223333'\nrole='admin'\ncolour='red'",
            "not toml",
        ] {
            assert!(KeyRing::parse(bad, Path::new("k.toml")).is_err(), "{bad}");
        }
        let twice = format!(
            "{FILE}\n[[keys]]\naccess_key_id='AKADMIN'\nsecret_access_key='x'\naccount_id='111122223333'\nrole='admin'"
        );
        assert!(KeyRing::parse(&twice, Path::new("k.toml")).is_err());
    }

    #[test]
    fn parse_errors_never_quote_the_file() {
        let text = "[[keys]]\naccess_key_id = \"a\"\nsecret_access_key = TOPSECRET123\n";
        let error = KeyRing::parse(text, Path::new("k.toml"))
            .expect_err("invalid")
            .to_string();
        assert!(!error.contains("TOPSECRET123"), "{error}");
        assert!(error.contains("line 3"), "{error}");
    }

    #[test]
    fn reload_keeps_old_keys_when_the_file_breaks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.toml");
        std::fs::write(&path, FILE).expect("write");
        let keys = Keys::from_file(&path).expect("loads");
        std::fs::write(&path, "garbage").expect("write");
        assert!(keys.reload().is_err());
        assert!(keys.get("AKADMIN").is_some());
        std::fs::write(&path, "").expect("write");
        assert_eq!(keys.reload().expect("empty file is valid"), 0);
        assert!(keys.get("AKADMIN").is_none());
    }

    #[test]
    fn appended_keys_are_private_and_loadable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.toml");
        let entry = generate_entry("111122223333", "admin", None, None);
        append_entry(&path, entry.clone()).expect("append");
        append_entry(&path, generate_entry("111122223333", "admin", None, None)).expect("append");
        let ring = KeyRing::load(&path).expect("loads");
        assert_eq!(ring.len(), 2);
        assert_eq!(
            ring.get(&entry.access_key_id).expect("present").secret,
            entry.secret_access_key
        );
        assert_eq!(exposure_warning(&path), None);
        assert!(append_entry(&path, generate_entry("1", "admin", None, None)).is_err());
    }
}
