//! Matching a request against a service's route table: method, path
//! pattern (`/notifications/{InstanceId}/{NotificationId}`) and, where two
//! operations share a path, a query parameter that tells them apart.
//!
//! Written by hand rather than with axum's router because AWS labels are
//! percent-encoded ARNs (`%2F` inside one label) and routing must also look
//! at the query string; both are simple here and awkward there.

use http::Method;
use percent_encoding::percent_decode_str;

use super::AwsError;

pub struct Route<Op> {
    pub method: Method,
    pub pattern: &'static str,
    /// A query parameter (and value) that must be present, for operations
    /// that share a method and path with another.
    pub query: Option<(&'static str, &'static str)>,
    pub op: Op,
}

impl<Op> Route<Op> {
    pub const fn new(method: Method, pattern: &'static str, op: Op) -> Self {
        Route {
            method,
            pattern,
            query: None,
            op,
        }
    }
}

/// Path labels by name, percent-decoded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Labels(Vec<(&'static str, String)>);

impl Labels {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(label, _)| *label == name)
            .map(|(_, value)| value.as_str())
    }
}

fn decode(segment: &str) -> Result<String, AwsError> {
    let decoded = percent_decode_str(segment)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| {
            AwsError::invalid_request(format!(
                "Path segment '{segment}' is not valid percent-encoded UTF-8."
            ))
        })?;
    // No stored name or id holds U+0000 (PostgreSQL text cannot).
    if decoded.contains('\0') {
        return Err(AwsError::invalid_request(format!(
            "Path segment '{segment}' must not contain NUL (%00)."
        )));
    }
    Ok(decoded)
}

fn match_path(pattern: &'static str, raw_path: &str) -> Result<Option<Labels>, AwsError> {
    let mut labels = Vec::new();
    let mut pattern_segments = pattern.trim_start_matches('/').split('/');
    let mut path_segments = raw_path.trim_start_matches('/').split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Ok(Some(Labels(labels))),
            (Some(expected), Some(actual)) => {
                match expected.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(_) if actual.is_empty() => return Ok(None),
                    Some(name) => labels.push((name, decode(actual)?)),
                    None if expected != actual => return Ok(None),
                    None => {}
                }
            }
            _ => return Ok(None),
        }
    }
}

/// Query parameters, percent-decoded, in order.
pub fn parse_query(raw_query: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw_query else {
        return Vec::new();
    };
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                let spaced = s.replace('+', " ");
                percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
            };
            (decode(key), decode(value))
        })
        .collect()
}

/// The first route that matches, with its labels. Routes that require a
/// query parameter are tried before those that do not.
pub fn find<'r, Op>(
    routes: &'r [Route<Op>],
    method: &Method,
    raw_path: &str,
    query: &[(String, String)],
) -> Result<Option<(&'r Route<Op>, Labels)>, AwsError> {
    let query_matches = |route: &Route<Op>| match route.query {
        None => true,
        Some((key, value)) => query.iter().any(|(k, v)| k == key && v == value),
    };
    let ordered = routes
        .iter()
        .filter(|route| route.query.is_some())
        .chain(routes.iter().filter(|route| route.query.is_none()));
    for route in ordered {
        if route.method != *method || !query_matches(route) {
            continue;
        }
        if let Some(labels) = match_path(route.pattern, raw_path)? {
            return Ok(Some((route, labels)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Op {
        List,
        Describe,
        Batch,
        Create,
    }

    fn table() -> Vec<Route<Op>> {
        vec![
            Route::new(Method::GET, "/things/{Id}", Op::List),
            Route::new(Method::GET, "/things/{Id}/{Sub}", Op::Describe),
            Route::new(Method::POST, "/things/{Id}", Op::Create),
            Route {
                query: Some(("operation", "batch")),
                ..Route::new(Method::POST, "/things/{Id}", Op::Batch)
            },
        ]
    }

    #[test]
    fn matches_method_path_and_decodes_labels() {
        let routes = table();
        let (route, labels) = find(&routes, &Method::GET, "/things/arn%3Aaws%2Fx/y%20z", &[])
            .expect("no error")
            .expect("matches");
        assert_eq!(route.op, Op::Describe);
        assert_eq!(labels.get("Id"), Some("arn:aws/x"));
        assert_eq!(labels.get("Sub"), Some("y z"));
        assert!(
            find(&routes, &Method::DELETE, "/things/a", &[])
                .expect("ok")
                .is_none()
        );
        assert!(
            find(&routes, &Method::GET, "/things/", &[])
                .expect("ok")
                .is_none()
        );
        assert!(
            find(&routes, &Method::GET, "/things/a/b/c", &[])
                .expect("ok")
                .is_none()
        );
    }

    #[test]
    fn query_tells_apart_operations_on_one_path() {
        let routes = table();
        let batch = parse_query(Some("operation=batch&x=1"));
        let (route, _) = find(&routes, &Method::POST, "/things/a", &batch)
            .expect("ok")
            .expect("matches");
        assert_eq!(route.op, Op::Batch);
        let (route, _) = find(&routes, &Method::POST, "/things/a", &[])
            .expect("ok")
            .expect("matches");
        assert_eq!(route.op, Op::Create);
    }

    #[test]
    fn bad_percent_encoding_is_an_error_not_a_panic() {
        let routes = table();
        assert!(find(&routes, &Method::GET, "/things/%FF%FE", &[]).is_err());
    }

    #[test]
    fn query_parsing_decodes() {
        assert_eq!(
            parse_query(Some("tagKeys=a%20b&tagKeys=c+d&flag")),
            vec![
                ("tagKeys".to_string(), "a b".to_string()),
                ("tagKeys".to_string(), "c d".to_string()),
                ("flag".to_string(), String::new()),
            ]
        );
    }
}
