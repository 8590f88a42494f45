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
