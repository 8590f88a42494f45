//! Constraint checks shared by the Connect operations. Each error names
//! the member it is about, as AWS's messages do.

use std::collections::BTreeMap;

use herald_store::{Content, Tags};

use crate::error::{ConnectError, ConnectResult};

pub const LOCALES: [&str; 11] = [
    "en_US", "de_DE", "es_ES", "fr_FR", "id_ID", "it_IT", "ja_JP", "ko_KR", "pt_BR", "zh_CN",
    "zh_TW",
];
pub const MAX_TEXT_CHARS: usize = 500;
pub const MAX_TAGS: usize = 50;

pub fn invalid(message: impl Into<String>) -> ConnectError {
    ConnectError::InvalidParameter(message.into())
}

pub fn required<T>(value: Option<T>, member: &str) -> ConnectResult<T> {
    value.ok_or_else(|| invalid(format!("{member} is required.")))
}

/// A string member's length in characters (not bytes), within bounds.
pub fn length(value: &str, member: &str, min: usize, max: usize) -> ConnectResult<()> {
    let chars = value.chars().count();
    if chars < min || chars > max {
        return Err(invalid(format!(
            "{member} must be between {min} and {max} characters long; it has {chars}."
        )));
    }
    Ok(())
}

pub fn max_results(value: Option<i64>, max: i64, default: u32) -> ConnectResult<u32> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n as u32),
        Some(n) => Err(invalid(format!(
            "MaxResults must be between 1 and {max}; got {n}."
        ))),
    }
}

pub fn content(content: Option<BTreeMap<String, String>>) -> ConnectResult<Content> {
    let content = required(content, "Content")?;
    if content.is_empty() {
        return Err(invalid("Content must contain at least one locale."));
    }
    for (locale, text) in &content {
        if !LOCALES.contains(&locale.as_str()) {
            return Err(invalid(format!(
                "Content has an unsupported locale '{locale}'; valid locales: {}.",
                LOCALES.join(", ")
            )));
        }
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(invalid(format!(
                "Content.{locale} must be at most {MAX_TEXT_CHARS} characters; it has {chars}."
            )));
        }
    }
    Ok(content)
}

fn tag_key_char_allowed(c: char) -> bool {
    // The spec's pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*
    c.is_alphabetic() || c.is_whitespace() || c.is_numeric() || "_.:/=+-@".contains(c)
}

pub fn tag_key(key: &str, member: &str) -> ConnectResult<()> {
    length(key, &format!("{member} key"), 1, 128)?;
    if key.starts_with("aws:") {
        return Err(invalid(format!(
            "{member} key '{key}' uses the reserved prefix 'aws:'."
        )));
    }
    if let Some(bad) = key.chars().find(|c| !tag_key_char_allowed(*c)) {
        return Err(invalid(format!(
            "{member} key '{key}' contains the character {bad:?}; allowed are letters, digits, spaces and _ . : / = + - @."
        )));
    }
    Ok(())
}

/// Tags as given on create or TagResource: 1–50 pairs when present.
pub fn tags(tags: Option<BTreeMap<String, String>>, member: &str) -> ConnectResult<Tags> {
    let Some(tags) = tags else {
        return Ok(Tags::new());
    };
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!(
            "{member} must have at most {MAX_TAGS} entries; it has {}.",
            tags.len()
        )));
    }
    for (key, value) in &tags {
        tag_key(key, member)?;
        let chars = value.chars().count();
        if chars > 256 {
            return Err(invalid(format!(
                "{member} value for key '{key}' must be at most 256 characters; it has {chars}."
            )));
        }
    }
    Ok(tags)
}

/// AWS region names as the spec's pattern has them: `[a-z]{2}(-[a-z]+){1,2}(-[0-9])?`.
pub fn region_name(region: &str, member: &str) -> ConnectResult<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let bad = || {
        invalid(format!(
            "{member} '{region}' is not a region name such as us-east-1."
        ))
    };
    let (first, rest) = parts.split_first().ok_or_else(bad)?;
    if first.len() != 2 || !first.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(bad());
    }
    // An optional trailing single digit ("-1"), then one or two words.
    let words = match rest.split_last() {
        Some((last, words)) if last.len() == 1 && last.chars().all(|c| c.is_ascii_digit()) => words,
        _ => rest,
    };
    if words.is_empty() || words.len() > 2 {
        return Err(bad());
    }
    if words
        .iter()
        .any(|w| w.is_empty() || !w.chars().all(|c| c.is_ascii_lowercase()))
    {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn content_counts_characters_not_bytes() {
        let five_hundred = "ü".repeat(500);
        assert!(content(Some(map(&[("de_DE", &five_hundred)]))).is_ok());
        let too_long = "a".repeat(501);
        let err = content(Some(map(&[("en_US", &too_long)]))).unwrap_err();
        assert!(err.to_string().contains("Content.en_US"), "{err}");
    }

    #[test]
    fn content_needs_a_known_locale() {
        assert!(content(Some(BTreeMap::new())).is_err());
        assert!(content(None).is_err());
        let err = content(Some(map(&[("en_GB", "hi")]))).unwrap_err();
        assert!(err.to_string().contains("en_GB"), "{err}");
    }

    #[test]
    fn tags_follow_aws_rules() {
        assert!(tags(Some(map(&[("team", "a"), ("k:/=+-@_. 1", "")])), "Tags").is_ok());
        assert!(tags(Some(map(&[("aws:x", "a")])), "Tags").is_err());
        assert!(tags(Some(map(&[("", "a")])), "Tags").is_err());
        assert!(tags(Some(map(&[("bad*key", "a")])), "Tags").is_err());
        assert!(tags(Some(map(&[("k", &"v".repeat(257))])), "Tags").is_err());
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(tags(Some(many), "Tags").is_err());
    }

    #[test]
    fn max_results_bounds() {
        assert_eq!(max_results(None, 100, 100), Ok(100));
        assert_eq!(max_results(Some(1), 100, 100), Ok(1));
        assert!(max_results(Some(0), 100, 100).is_err());
        assert!(max_results(Some(101), 100, 100).is_err());
    }

    #[test]
    fn region_names() {
        for ok in ["us-east-1", "eu-central-1", "us-gov-west-1", "ap-southeast"] {
            assert!(region_name(ok, "R").is_ok(), "{ok}");
        }
        for bad in [
            "",
            "us",
            "US-east-1",
            "us-east-12",
            "u-east-1",
            "us-a-b-c-1",
            "us--1",
        ] {
            assert!(region_name(bad, "R").is_err(), "{bad}");
        }
    }
}
