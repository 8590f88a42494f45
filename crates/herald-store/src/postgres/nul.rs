//! PostgreSQL text cannot hold U+0000; binding a string with one fails the
//! statement. Every client string bound as text — written, looked up or
//! searched for — passes through [`text`] first, which turns NUL into
//! U+FFFD, the same on every path, so lookups and searches find what was
//! written. JSON columns (content, tags, settings) need no such care: their
//! encoding escapes NUL, so they keep it exactly.

use std::borrow::Cow;

/// What PostgreSQL stores for U+0000.
pub(super) const NUL_STAND_IN: char = '\u{FFFD}';

pub(super) fn text(value: &str) -> Cow<'_, str> {
    if value.contains('\0') {
        Cow::Owned(value.replace('\0', &NUL_STAND_IN.to_string()))
    } else {
        Cow::Borrowed(value)
    }
}

/// [`text`], owned: for values collected into array binds.
pub(super) fn owned(value: &str) -> String {
    text(value).into_owned()
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn only_nul_changes() {
        assert_eq!(text("a\0b\0"), "a\u{FFFD}b\u{FFFD}");
        assert!(matches!(
            text("plain ü"),
            std::borrow::Cow::Borrowed("plain ü")
        ));
    }
}
