//! The one place where Chime's domain errors become AWS errors, and where
//! wire-level input errors take Chime's name for them.

use herald_domain::chime::ChimeError;
use http::StatusCode;

use crate::aws::AwsError;
use crate::overload::OverloadError;

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 1;

pub fn to_aws(error: ChimeError) -> AwsError {
    let (status, error_type) = match &error {
        ChimeError::BadRequest(_) => (StatusCode::BAD_REQUEST, "BadRequestException"),
        ChimeError::UnauthorizedClient(_) => {
            (StatusCode::UNAUTHORIZED, "UnauthorizedClientException")
        }
        ChimeError::Forbidden(_) => (StatusCode::FORBIDDEN, "ForbiddenException"),
        ChimeError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFoundException"),
        ChimeError::Conflict(_) => (StatusCode::CONFLICT, "ConflictException"),
        ChimeError::ServiceUnavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
        ),
        ChimeError::ServiceFailure(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "ServiceFailureException")
        }
    };
    AwsError::new(status, error_type, error.to_string())
}

/// Malformed input found while reading the request (bad JSON, a bad query
/// value) is Chime's `BadRequestException`.
pub fn wire(error: AwsError) -> AwsError {
    if error.status == StatusCode::BAD_REQUEST {
        AwsError::new(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            error.message,
        )
    } else {
        error
    }
}

/// A spent rate limit is Chime's `ThrottledClientException` (429), as AWS
/// sends it; a full server is `ServiceUnavailableException` (503), which
/// the SDKs retry (they do not retry `ThrottledClientException`).
pub fn overload(error: &OverloadError) -> AwsError {
    let (status, error_type) = match error {
        OverloadError::Throttled { .. } => {
            (StatusCode::TOO_MANY_REQUESTS, "ThrottledClientException")
        }
        OverloadError::AtCapacity { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
        ),
    };
    AwsError::new(status, error_type, error.to_string()).retry_after(error.retry_after_seconds())
}
