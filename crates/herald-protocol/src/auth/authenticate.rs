//! From a request to the caller it speaks for: SigV4 checked against the
//! keys in force, each failure the AWS error an SDK expects (all 403).

use herald_domain::Caller;
use http::{HeaderMap, Method, StatusCode};
use jiff::Timestamp;

use std::sync::Arc;

use super::credentials::{Key, Keys};
use super::sigv4::{self, PathEncoding, SignatureError, SignedRequest};
use crate::aws::AwsError;

/// The parts of a request that authentication reads.
pub struct RequestToVerify<'a> {
    pub method: &'a Method,
    pub raw_path: &'a str,
    pub raw_query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub authority: Option<&'a str>,
    pub body: &'a [u8],
}

/// The SigV4 service name a path belongs to.
pub fn service_for_path(path: &str) -> &'static str {
    if path.starts_with("/_herald/") {
        "herald"
    } else {
        "connect"
    }
}

fn to_aws(error: SignatureError) -> AwsError {
    let error_type = match &error {
        SignatureError::Missing => "MissingAuthenticationTokenException",
        SignatureError::Incomplete(_) => "IncompleteSignatureException",
        SignatureError::UnknownKey => "UnrecognizedClientException",
        SignatureError::Invalid(_) => "InvalidSignatureException",
    };
    AwsError::new(StatusCode::FORBIDDEN, error_type, error.to_string())
}

/// What the headers alone establish: a well-formed, fresh, correctly
/// scoped signature by a known key. Checked before the body is read, so an
/// unauthenticated client cannot make Herald buffer a body.
pub struct PendingAuthentication {
    authorization: sigv4::Authorization,
    amz_date: String,
    key: Arc<Key>,
}

pub fn check_headers(
    keys: &Keys,
    region: &str,
    raw_path: &str,
    headers: &HeaderMap,
    now: Timestamp,
) -> Result<PendingAuthentication, AwsError> {
    pending(keys, region, raw_path, headers, now).map_err(to_aws)
}

fn pending(
    keys: &Keys,
    region: &str,
    raw_path: &str,
    headers: &HeaderMap,
    now: Timestamp,
) -> Result<PendingAuthentication, SignatureError> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(SignatureError::Missing)?
        .to_str()
        .map_err(|_| {
            SignatureError::Incomplete("Authorization header is not valid text.".into())
        })?;
    let authorization = sigv4::parse_authorization(header)?;
    let service = service_for_path(raw_path);
    let amz_date = sigv4::check_request_shape(&authorization, headers, region, service, now)?;
    if let Some(declared) = headers.get("x-amz-content-sha256") {
        let declared = declared.to_str().unwrap_or_default();
        if declared == "UNSIGNED-PAYLOAD" || declared.starts_with("STREAMING-") {
            return Err(SignatureError::Invalid(
                "Unsigned and streaming payloads are not accepted; sign the body.".into(),
            ));
        }
    }
    let key = keys
        .get(&authorization.access_key_id)
        .ok_or(SignatureError::UnknownKey)?;
    Ok(PendingAuthentication {
        authorization,
        amz_date,
        key,
    })
}

/// The signature over the whole request, body included.
pub fn verify(
    pending: PendingAuthentication,
    request: &RequestToVerify<'_>,
) -> Result<Caller, AwsError> {
    verify_signature(pending, request).map_err(to_aws)
}

fn verify_signature(
    pending: PendingAuthentication,
    request: &RequestToVerify<'_>,
) -> Result<Caller, SignatureError> {
    let payload_hash = sigv4::sha256_hex(request.body);
    if let Some(declared) = request.headers.get("x-amz-content-sha256")
        && declared.to_str().unwrap_or_default() != payload_hash
    {
        return Err(SignatureError::Invalid(
            "x-amz-content-sha256 does not match the SHA-256 of the body.".into(),
        ));
    }
    let signed = SignedRequest {
        method: request.method,
        raw_path: request.raw_path,
        raw_query: request.raw_query,
        headers: request.headers,
        authority: request.authority,
        payload_hash: &payload_hash,
        path_encoding: PathEncoding::Double,
    };
    sigv4::verify_signature(
        &pending.authorization,
        &signed,
        &pending.amz_date,
        &pending.key.secret,
    )?;
    Ok(pending.key.caller.clone())
}
