//! Member-level checks for Chime inputs, each error naming the member, with
//! the constraints of the service models.

use herald_store::Tags;
use sha2::{Digest, Sha256};

use super::error::{ChimeResult, bad_request};

pub fn required<T>(value: Option<T>, member: &str) -> ChimeResult<T> {
    value.ok_or_else(|| bad_request(format!("{member} is required.")))
}

/// Length in characters, as the models count it.
pub fn length(value: &str, member: &str, min: usize, max: usize) -> ChimeResult<()> {
    let count = value.chars().count();
    if count < min || count > max {
        return Err(bad_request(format!(
            "{member} must be {min} to {max} characters long; got {count}."
        )));
    }
    Ok(())
}

/// `NonEmptyResourceName`: 1–256 characters without control characters
/// other than tab, newline and carriage return.
pub fn resource_name(value: &str, member: &str) -> ChimeResult<()> {
    length(value, member, 1, 256)?;
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{85}'))
    {
        return Err(bad_request(format!(
            "{member} must not contain control characters."
        )));
    }
    Ok(())
}

/// `UserName`: 1–100 characters, not only whitespace.
pub fn user_name(value: &str, member: &str) -> ChimeResult<()> {
    length(value, member, 1, 100)?;
    if value.chars().all(char::is_whitespace) {
        return Err(bad_request(format!(
            "{member} must not be only whitespace."
        )));
    }
    Ok(())
}

pub fn metadata(value: Option<String>, member: &str) -> ChimeResult<String> {
    let value = value.unwrap_or_default();
    length(&value, member, 0, 1024)?;
    Ok(value)
}

/// `UserId` and `ChannelId`: 1–64 of letters, digits and `:-_.@`, starting
/// and ending with a letter or digit.
pub fn resource_id(value: &str, member: &str) -> ChimeResult<()> {
    length(value, member, 1, 64)?;
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let inner_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '@'));
    if !inner_ok || !edge_ok(value.chars().next()) || !edge_ok(value.chars().last()) {
        return Err(bad_request(format!(
            "{member} '{value}' must be letters, digits and ':-_.@', starting and ending with a letter or digit."
        )));
    }
    Ok(())
}

/// `ClientRequestToken`: 2–64 of letters, digits, `-` and `_`.
pub fn client_request_token(value: Option<String>) -> ChimeResult<String> {
    let token = required(value, "ClientRequestToken")?;
    length(&token, "ClientRequestToken", 2, 64)?;
    if !token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(bad_request(
            "ClientRequestToken must be letters, digits, '-' and '_'.",
        ));
    }
    Ok(token)
}

/// `ChimeArn`: 5–1600 characters starting `arn:`. Whether it names
/// anything is decided by the caller.
pub fn arn_shape(value: &str, member: &str) -> ChimeResult<()> {
    length(value, member, 5, 1600)?;
    if !value.starts_with("arn:") {
        return Err(bad_request(format!("{member} '{value}' is not an ARN.")));
    }
    Ok(())
}

/// A value of a closed set.
pub fn one_of<T>(
    value: &str,
    member: &str,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &[&str],
) -> ChimeResult<T> {
    parse(value).ok_or_else(|| {
        bad_request(format!(
            "{member} '{value}' is not valid; valid values: {}.",
            allowed.join(", ")
        ))
    })
}

pub fn max_results(value: Option<i64>) -> ChimeResult<u32> {
    match value {
        None => Ok(50),
        Some(n @ 1..=50) => Ok(n as u32),
        Some(n) => Err(bad_request(format!(
            "MaxResults must be between 1 and 50; got {n}."
        ))),
    }
}

/// `TagList`: 1–50 tags, keys 1–128 and values 1–256 characters, keys
/// unique.
pub fn tags(tags: Option<Vec<(String, String)>>) -> ChimeResult<Tags> {
    let Some(tags) = tags else {
        return Ok(Tags::new());
    };
    if tags.is_empty() || tags.len() > 50 {
        return Err(bad_request(format!(
            "Tags must hold 1 to 50 tags; got {}.",
            tags.len()
        )));
    }
    let mut kept = Tags::new();
    for (key, value) in tags {
        length(&key, "Tags.Key", 1, 128)?;
        length(&value, "Tags.Value", 1, 256)?;
        if kept.insert(key.clone(), value).is_some() {
            return Err(bad_request(format!("Tags holds the key '{key}' twice.")));
        }
    }
    Ok(kept)
}

/// Refuses a member Herald does not implement, rather than ignoring it.
pub fn unsupported(present: bool, member: &str) -> ChimeResult<()> {
    if present {
        return Err(bad_request(format!("{member} is not supported by Herald.")));
    }
    Ok(())
}

/// A digest of everything that makes two requests the same, for
/// `ClientRequestToken` idempotency.
pub fn request_digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A new id of 32 lowercase hex digits (endpoint and message ids).
pub fn new_hex_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_follow_the_model_pattern() {
        for ok in ["a", "a1", "user:1@x.y-z_w", "A9"] {
            assert!(resource_id(ok, "Id").is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a/b", "a b", &"x".repeat(65)] {
            assert!(resource_id(bad, "Id").is_err(), "{bad}");
        }
    }

    #[test]
    fn digests_do_not_run_parts_together() {
        assert_ne!(request_digest(&["ab", "c"]), request_digest(&["a", "bc"]));
        assert_eq!(request_digest(&["a"]), request_digest(&["a"]));
    }

    #[test]
    fn tags_and_limits() {
        assert!(tags(Some(vec![])).is_err());
        assert!(
            tags(Some(vec![
                ("k".into(), "v".into()),
                ("k".into(), "w".into())
            ]))
            .is_err()
        );
        assert_eq!(tags(None).expect("none").len(), 0);
        assert!(max_results(Some(0)).is_err());
        assert!(max_results(Some(51)).is_err());
        assert_eq!(max_results(None).expect("default"), 50);
    }
}
