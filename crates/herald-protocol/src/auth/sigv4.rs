//! AWS Signature Version 4 verification, header form (`Authorization:
//! AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`).
//!
//! Written here on `hmac`/`sha2`/`subtle` because the maintained SigV4
//! crate (`aws-sigv4`) only signs; verifying means rebuilding the same
//! canonical request from what arrived, which is the few functions below.
//! The rules follow AWS's documentation and its signing test suite: the
//! path is normalised and percent-encoded again (non-S3 services
//! double-encode), query pairs are decoded, strictly re-encoded and sorted,
//! header values are trimmed with inner runs of spaces collapsed.

use hmac::{Hmac, Mac};
use http::{HeaderMap, Method};
use jiff::{SignedDuration, Timestamp};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Requests signed further than this from the server's clock are refused.
pub const MAX_SKEW: SignedDuration = SignedDuration::from_mins(15);

/// Everything except the unreserved characters `A-Z a-z 0-9 - _ . ~`.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// As [`STRICT`], keeping `/` (path segments).
const PATH: &AsciiSet = &STRICT.remove(b'/');

/// Why a request is not authenticated; each maps to one AWS error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("Missing Authentication Token")]
    Missing,
    #[error("{0}")]
    Incomplete(String),
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    #[error("{0}")]
    Invalid(String),
}

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: Vec<u8>,
}

impl Authorization {
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

fn incomplete(message: impl Into<String>) -> SignatureError {
    SignatureError::Incomplete(message.into())
}

pub fn parse_authorization(value: &str) -> Result<Authorization, SignatureError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(' '))
        .ok_or_else(|| {
            incomplete(format!(
                "Authorization header must start with '{ALGORITHM} '."
            ))
        })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or_else(|| {
            incomplete(format!(
                "Authorization component '{}' is not key=value.",
                part.trim()
            ))
        })?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let credential = credential
        .ok_or_else(|| incomplete("Authorization header requires a 'Credential' parameter."))?;
    let signed_headers = signed_headers
        .ok_or_else(|| incomplete("Authorization header requires a 'SignedHeaders' parameter."))?;
    let signature = signature
        .ok_or_else(|| incomplete("Authorization header requires a 'Signature' parameter."))?;

    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(incomplete(
            "Credential must be ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request.",
        ));
    };
    if *terminator != "aws4_request"
        || access_key_id.is_empty()
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(incomplete(
            "Credential must be ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request.",
        ));
    }
    let signed_headers: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
    if signed_headers
        .iter()
        .any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase()))
    {
        return Err(incomplete(
            "SignedHeaders must be lower-case names separated by ';'.",
        ));
    }
    let signature = decode_hex(signature)
        .ok_or_else(|| incomplete("Signature must be 64 hexadecimal characters."))?;
    Ok(Authorization {
        access_key_id: (*access_key_id).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers,
        signature,
    })
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    ::hex::decode(text).ok()
}

/// Lower-case hex, as SigV4 writes hashes and signatures (one allocation,
/// where a `format!` per byte made 32 for every request's hash).
pub fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// RFC 3986 "remove dot segments", plus collapsing empty segments, as the
/// SDKs do before signing.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    if !(path.contains('.') || path.contains("//")) {
        return if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    if path.ends_with('/') && normalized != "/" {
        normalized.push('/');
    }
    normalized
}

/// How the path enters the canonical request. AWS services other than S3
/// (and so Herald) sign the path as sent, encoded once more; AWS's generic
/// test suite signs it encoded once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathEncoding {
    Double,
    Single,
}

pub fn canonical_uri(raw_path: &str, encoding: PathEncoding) -> String {
    let normalized = normalize_path(raw_path);
    match encoding {
        PathEncoding::Double => utf8_percent_encode(&normalized, PATH).to_string(),
        PathEncoding::Single => {
            let decoded = percent_encoding::percent_decode_str(&normalized).decode_utf8_lossy();
            utf8_percent_encode(&decoded, PATH).to_string()
        }
    }
}

pub fn canonical_query(raw_query: Option<&str>) -> String {
    let Some(raw) = raw_query else {
        return String::new();
    };
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                let spaced = s.replace('+', " ");
                percent_encoding::percent_decode_str(&spaced)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (
                utf8_percent_encode(&decode(key), STRICT).to_string(),
                utf8_percent_encode(&decode(value), STRICT).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Trims a header value and collapses runs of spaces into one.
fn normalize_header_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut previous_space = false;
    for c in value.trim().chars() {
        if c == ' ' {
            if !previous_space {
                out.push(c);
            }
            previous_space = true;
        } else {
            out.push(c);
            previous_space = false;
        }
    }
    out
}

/// What the verifier reads of a request.
pub struct SignedRequest<'a> {
    pub method: &'a Method,
    pub raw_path: &'a str,
    pub raw_query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The `host` to use when the request has no Host header (HTTP/2).
    pub authority: Option<&'a str>,
    pub payload_hash: &'a str,
    pub path_encoding: PathEncoding,
}

pub fn canonical_request(
    request: &SignedRequest<'_>,
    signed_headers: &[String],
) -> Result<String, SignatureError> {
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|value| {
                value.to_str().map(normalize_header_value).map_err(|_| {
                    SignatureError::Invalid(format!("Signed header {name} is not valid text."))
                })
            })
            .collect::<Result<_, _>>()?;
        let joined = if values.is_empty() && name == "host" {
            request.authority.map(str::to_owned)
        } else if values.is_empty() {
            None
        } else {
            Some(values.join(","))
        };
        let joined = joined.ok_or_else(|| {
            SignatureError::Invalid(format!(
                "Signed header {name} is not present in the request."
            ))
        })?;
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&joined);
        headers.push('\n');
    }
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method.as_str(),
        canonical_uri(request.raw_path, request.path_encoding),
        canonical_query(request.raw_query),
        headers,
        signed_headers.join(";"),
        request.payload_hash,
    ))
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Parses `x-amz-date` (`20150830T123600Z`).
pub fn parse_amz_date(value: &str) -> Option<Timestamp> {
    if value.len() != 16 {
        return None;
    }
    let civil = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", value).ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// The checks that need no secret: the signed-header rules, the date and
/// its skew, and the scope. Returns the request time.
pub fn check_request_shape(
    authorization: &Authorization,
    headers: &HeaderMap,
    expected_region: &str,
    expected_service: &str,
    now: Timestamp,
) -> Result<String, SignatureError> {
    if !authorization.signed_headers.iter().any(|h| h == "host") {
        return Err(SignatureError::Invalid(
            "The 'host' header must be signed.".into(),
        ));
    }
    for name in headers.keys() {
        let name = name.as_str();
        // x-amz-user-agent is left unsigned by the AWS SDK for Rust, as
        // user-agent is by every SDK: proxies may rewrite it.
        if name.starts_with("x-amz-")
            && name != "x-amz-user-agent"
            && !authorization.signed_headers.iter().any(|h| h == name)
        {
            return Err(SignatureError::Invalid(format!(
                "Header {name} must be signed."
            )));
        }
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| incomplete("Authorization requires an 'X-Amz-Date' header."))?;
    let at = parse_amz_date(amz_date)
        .ok_or_else(|| incomplete(format!("X-Amz-Date '{amz_date}' is not YYYYMMDDTHHMMSSZ.")))?;
    let skew = now.duration_since(at).abs();
    if skew > MAX_SKEW {
        return Err(SignatureError::Invalid(format!(
            "Signature expired: {amz_date} is more than 15 minutes away from the server's time {}.",
            now.strftime("%Y%m%dT%H%M%SZ")
        )));
    }
    if !amz_date.starts_with(&authorization.date) {
        return Err(SignatureError::Invalid(format!(
            "Credential date {} does not match X-Amz-Date {amz_date}.",
            authorization.date
        )));
    }
    if authorization.region != expected_region {
        return Err(SignatureError::Invalid(format!(
            "Credential should be scoped to a valid region, not '{}'; this server is '{expected_region}'.",
            authorization.region
        )));
    }
    if authorization.service != expected_service {
        return Err(SignatureError::Invalid(format!(
            "Credential should be scoped to correct service: '{expected_service}', not '{}'.",
            authorization.service
        )));
    }
    Ok(amz_date.to_owned())
}

/// Compares the signature with the one the secret gives, in constant time.
pub fn verify_signature(
    authorization: &Authorization,
    request: &SignedRequest<'_>,
    amz_date: &str,
    secret: &str,
) -> Result<(), SignatureError> {
    let canonical = canonical_request(request, &authorization.signed_headers)?;
    let to_sign = string_to_sign(amz_date, &authorization.scope(), &canonical);
    let key = signing_key(
        secret,
        &authorization.date,
        &authorization.region,
        &authorization.service,
    );
    let expected = hmac(&key, to_sign.as_bytes());
    if bool::from(expected.as_slice().ct_eq(&authorization.signature)) {
        Ok(())
    } else {
        Err(SignatureError::Invalid(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.".into(),
        ))
    }
}

#[cfg(test)]
mod tests;
