//! The view of an HTTP request that operation handlers read: labels,
//! query parameters, headers and a JSON body, each accessor turning bad
//! input into the AWS error that names the member.

use bytes::Bytes;
use http::HeaderMap;
use jiff::Timestamp;
use serde::de::DeserializeOwned;

use super::routing::Labels;
use super::{AwsError, timestamp};

pub struct AwsRequest {
    pub labels: Labels,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl AwsRequest {
    /// A path label; the route guarantees it is present and non-empty.
    pub fn label(&self, name: &str) -> Result<String, AwsError> {
        self.labels
            .get(name)
            .map(str::to_owned)
            .ok_or_else(|| AwsError::invalid_parameter(format!("{name} is required.")))
    }

    /// A single-valued query parameter. Given twice it is refused: the
    /// signature covers the sorted parameters, so their order must not
    /// change what a request means.
    pub fn query_one(&self, name: &str) -> Result<Option<&str>, AwsError> {
        let mut values = self.query.iter().filter(|(key, _)| key == name);
        let first = values.next().map(|(_, value)| value.as_str());
        if values.next().is_some() {
            return Err(AwsError::invalid_parameter(format!(
                "{name} may be given only once."
            )));
        }
        Ok(first)
    }

    pub fn query_all(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }

    pub fn query_int(&self, name: &str) -> Result<Option<i64>, AwsError> {
        self.query_one(name)?
            .map(|value| {
                value.parse::<i64>().map_err(|_| {
                    AwsError::invalid_parameter(format!(
                        "{name} must be an integer; got '{value}'."
                    ))
                })
            })
            .transpose()
    }

    /// `maxResults` and `nextToken`, as every list operation takes them.
    pub fn paging(&self) -> Result<(Option<i64>, Option<&str>), AwsError> {
        Ok((self.query_int("maxResults")?, self.query_one("nextToken")?))
    }

    pub fn header(&self, name: &str) -> Result<Option<&str>, AwsError> {
        self.headers
            .get(name)
            .map(|value| {
                value.to_str().map_err(|_| {
                    AwsError::invalid_request(format!("Header {name} is not valid text."))
                })
            })
            .transpose()
    }

    pub fn header_timestamp(&self, name: &str) -> Result<Option<Timestamp>, AwsError> {
        self.header(name)?
            .map(|value| timestamp::from_header(value, name))
            .transpose()
    }

    /// The JSON body as `T`. An empty body is an empty object. Errors name
    /// the member path where serde knows it.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AwsError> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &self.body
        };
        if let Some(member) = member_with_nul(body) {
            return Err(AwsError::invalid_parameter(format!(
                "Invalid value for member {member}: text must not contain NUL (U+0000)."
            )));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if inner.is_syntax() || inner.is_eof() || path == "." || path.is_empty() {
                AwsError::invalid_request(format!("The request body is not valid JSON: {inner}."))
            } else {
                AwsError::invalid_request(format!("Invalid value for member {path}: {inner}."))
            }
        })?;
        deserializer.end().map_err(|error| {
            AwsError::invalid_request(format!("The request body is not valid JSON: {error}."))
        })?;
        Ok(value)
    }
}

/// The path of the first JSON string (value or key) holding U+0000, which
/// no store keeps (PostgreSQL text cannot). A NUL can only appear escaped
/// as `\u0000` (raw control bytes are invalid JSON), so a scan of the
/// bytes decides; only then is the body parsed to name the member.
fn member_with_nul(body: &[u8]) -> Option<String> {
    let escaped_nul = body.windows(6).enumerate().any(|(at, window)| {
        window.eq_ignore_ascii_case(b"\\u0000")
            && body[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    });
    if !escaped_nul {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    find_nul(&value, String::new())
}

fn find_nul(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let here = || {
        if path.is_empty() {
            ".".to_owned()
        } else {
            path.clone()
        }
    };
    match value {
        Value::String(text) if text.contains('\0') => Some(here()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find_nul(item, format!("{path}[{i}]"))),
        Value::Object(members) => members.iter().find_map(|(key, item)| {
            let member = if path.is_empty() {
                key.escape_debug().to_string()
            } else {
                format!("{path}.{}", key.escape_debug())
            };
            if key.contains('\0') {
                Some(member)
            } else {
                find_nul(item, member)
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod nul_tests {
    use super::member_with_nul;

    #[test]
    fn names_the_member_holding_nul() {
        assert_eq!(
            member_with_nul(br#"{"Content": {"en_US": "a\u0000b"}}"#).as_deref(),
            Some("Content.en_US")
        );
        assert_eq!(
            member_with_nul(br#"{"Recipients": ["x", "\u0000"]}"#).as_deref(),
            Some("Recipients[1]")
        );
        assert_eq!(member_with_nul(br#"{"\u0000": 1}"#).as_deref(), Some("\\0"));
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_no_nul() {
        assert_eq!(member_with_nul(br#"{"a": "\\u0000"}"#), None);
        assert_eq!(member_with_nul(br#"{"a": "plain"}"#), None);
        assert_eq!(
            member_with_nul(br#"{"a": "\\\u0000"}"#).as_deref(),
            Some("a")
        );
    }
}

/// Hostile nesting: serde_json's recursion limit (128) must refuse it
/// before any recursive decoder (the derived shapes, `serde_json::Value`
/// in the NUL scan and in flattened members) runs out of stack.
#[cfg(test)]
mod nesting_tests {
    use bytes::Bytes;

    use super::AwsRequest;
    use crate::connect::shapes::{CreateUserRequest, SearchNotificationsRequest};

    fn request(body: String) -> AwsRequest {
        AwsRequest {
            labels: Default::default(),
            query: Vec::new(),
            headers: Default::default(),
            body: Bytes::from(body),
        }
    }

    /// `levels` SearchCriteria, each an object holding an array.
    fn criteria(levels: usize, leaf: &str) -> String {
        let open = r#"{"OrConditions":["#.repeat(levels);
        let close = "]}".repeat(levels);
        format!(
            r#"{{"InstanceId":"i-1","SearchCriteria":{open}{{"StringCondition":{{"FieldName":"Id","Value":"{leaf}","ComparisonType":"EXACT"}}}}{close}}}"#
        )
    }

    /// On a thread with tokio's default worker stack (2 MiB), where
    /// handlers run.
    fn on_worker_stack(test: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(test)
            .expect("a thread")
            .join()
            .expect("no stack overflow or panic");
    }

    #[test]
    fn a_hundred_thousand_open_brackets_are_refused() {
        on_worker_stack(|| {
            let deep = 100_000;
            for body in [
                "[".repeat(deep),
                "{\"a\":".repeat(deep),
                format!("{{\"x\":\"\\u0000\",\"y\":{}", "[".repeat(deep)),
                criteria(deep, "x"),
                criteria(deep, "\\u0000"),
            ] {
                // Refused, by the recursion limit or an earlier type error.
                assert!(
                    request(body.clone())
                        .json::<SearchNotificationsRequest>()
                        .is_err()
                );
                assert!(request(body).json::<CreateUserRequest>().is_err());
            }
        });
    }

    #[test]
    fn the_nul_scan_refuses_deep_nesting() {
        on_worker_stack(|| {
            let body = format!("{{\"x\":\"\\u0000\",\"y\":{}", "[".repeat(100_000));
            assert_eq!(super::member_with_nul(body.as_bytes()), None);
            let error = request(body)
                .json::<CreateUserRequest>()
                .expect_err("refused");
            assert!(
                error.message.contains("recursion limit"),
                "{}",
                error.message
            );
        });
    }

    #[test]
    fn the_deepest_accepted_nesting_decodes_on_a_worker_stack() {
        on_worker_stack(|| {
            // 1 (body) + 1 (SearchCriteria) + 2 per level + 2 (leaf, its
            // condition) objects and arrays: 61 levels stay under 128.
            for leaf in ["x", "\\u0000"] {
                let decoded = request(criteria(61, leaf)).json::<SearchNotificationsRequest>();
                assert_eq!(decoded.is_ok(), leaf == "x");
            }
            // The domain's own depth limit then refuses it, recursing no
            // deeper than that limit.
            let body = request(criteria(61, "x")).json().expect("decodes");
            let input = crate::connect::search::search_input(body).expect("an input");
            let error = herald_domain::connect::search::parse_query(&input).expect_err("too deep");
            assert!(error.to_string().contains("deeper than"), "{error}");
            let value = format!("{}1{}", "[".repeat(126), "]".repeat(126));
            let body = format!(r#"{{"Username":"u","IdentityInfo":{value},"n":"\u0000"}}"#);
            assert!(
                request(body.replace("\\u0000", ""))
                    .json::<CreateUserRequest>()
                    .is_ok()
            );
            assert!(request(body).json::<CreateUserRequest>().is_err());
        });
    }
}
