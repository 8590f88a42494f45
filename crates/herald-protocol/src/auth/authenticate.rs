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

/// The API a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Connect,
    Chime,
    Herald,
}

impl Service {
    /// The SigV4 service name requests to it are signed with.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Connect => "connect",
            Service::Chime => "chime",
            Service::Herald => "herald",
        }
    }
}

/// Chime SDK Identity and Messaging own these first path segments.
const CHIME_ROOTS: [&str; 3] = ["app-instances", "app-instance-users", "channels"];

pub fn service_for_path(path: &str) -> Service {
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    if first == "_herald" {
        Service::Herald
    } else if CHIME_ROOTS.contains(&first) {
        Service::Chime
    } else {
        Service::Connect
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

impl PendingAuthentication {
    /// The key the request claims to be signed with (known, not yet
    /// verified).
    pub fn access_key_id(&self) -> &str {
        &self.authorization.access_key_id
    }
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
    let service = service_for_path(raw_path).signing_name();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_belong_to_their_service_by_first_segment() {
        assert_eq!(service_for_path("/notifications/i"), Service::Connect);
        assert_eq!(service_for_path("/instance"), Service::Connect);
        assert_eq!(service_for_path("/app-instances"), Service::Chime);
        assert_eq!(
            service_for_path("/app-instance-users/x/endpoints"),
            Service::Chime
        );
        assert_eq!(
            service_for_path("/channels/arn%3Ax/messages"),
            Service::Chime
        );
        assert_eq!(
            service_for_path("/_herald/push-deliveries"),
            Service::Herald
        );
        // A prefix of a segment is not the segment.
        assert_eq!(service_for_path("/channelsX"), Service::Connect);
        assert_eq!(service_for_path("/app-instancesfoo"), Service::Connect);
    }
}
