//! An HTTP client that signs each request with SigV4, on persistent
//! keep-alive connections.

use std::time::{Duration, SystemTime};

use anyhow::{Context, anyhow, bail};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4::SigningParams;
use reqwest::Method;

/// The built-in key of a server started without a credentials file (admin
/// of account 000000000000).
const ACCESS_KEY: &str = "test";
const SECRET_KEY: &str = "test";
pub const REGION: &str = "us-east-1";

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    credentials: Credentials,
}

/// What came back: the status and the body.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("parse the response body as JSON")
    }

    /// The reply as an error unless it is a success.
    pub fn success(self, what: &str) -> anyhow::Result<Reply> {
        if self.ok() {
            Ok(self)
        } else {
            bail!(
                "{what}: HTTP {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        }
    }
}

impl Client {
    pub fn new(endpoint: &str, connections: usize) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .pool_idle_timeout(Duration::from_secs(300))
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(60))
            .build()
            .context("build the HTTP client")?;
        Ok(Client {
            http,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            credentials: Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "herald-bench"),
        })
    }

    /// Sends an unsigned request (the health check).
    pub async fn unsigned(&self, method: Method, path: &str) -> anyhow::Result<Reply> {
        let url = format!("{}{path}", self.endpoint);
        let response = self.http.request(method, url).send().await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?.to_vec();
        Ok(Reply { status, body })
    }

    /// Sends a SigV4-signed request; `body` is sent as JSON when given.
    pub async fn signed(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<Reply> {
        let url = format!("{}{path_and_query}", self.endpoint);
        let body = match body {
            Some(value) => serde_json::to_vec(value)?,
            None => Vec::new(),
        };
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if !body.is_empty() {
            headers.push(("content-type", "application/json"));
        }
        let signature = self.sign(method.as_str(), &url, &headers, &body)?;
        let mut request = self.http.request(method, &url);
        for (name, value) in headers.iter().copied() {
            request = request.header(name, value);
        }
        for (name, value) in signature {
            request = request.header(name, value);
        }
        if !body.is_empty() {
            request = request.body(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?.to_vec();
        Ok(Reply { status, body })
    }

    fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Vec<(String, String)>> {
        let identity = self.credentials.clone().into();
        let params = SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name(service_for(url))
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| anyhow!("signing parameters: {e}"))?
            .into();
        let request = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| anyhow!("sign {url}: {e:?}"))?;
        let (instructions, _signature) = sign(request, &params)
            .map_err(|e| anyhow!("sign {url}: {e:?}"))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect())
    }
}

/// The SigV4 service the server expects: `herald` under `/_herald/`,
/// `connect` elsewhere.
fn service_for(url: &str) -> &'static str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
    if path.starts_with("/_herald/") {
        "herald"
    } else {
        "connect"
    }
}

#[cfg(test)]
mod tests {
    use super::service_for;

    #[test]
    fn the_service_follows_the_path() {
        assert_eq!(service_for("http://127.0.0.1:1/_herald/health"), "herald");
        assert_eq!(service_for("http://127.0.0.1:1/instance"), "connect");
        assert_eq!(service_for("http://127.0.0.1:1"), "connect");
    }
}
