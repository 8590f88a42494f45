//! The one place where Connect's domain errors become AWS errors.

use herald_domain::ConnectError;
use http::StatusCode;

use crate::aws::AwsError;
use crate::overload::OverloadError;

pub fn to_aws(error: ConnectError) -> AwsError {
    let (status, error_type) = match &error {
        ConnectError::InvalidParameter(_) => (StatusCode::BAD_REQUEST, "InvalidParameterException"),
        ConnectError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "InvalidRequestException"),
        ConnectError::ResourceNotFound(_) => (StatusCode::NOT_FOUND, "ResourceNotFoundException"),
        ConnectError::DuplicateResource(_) => (StatusCode::CONFLICT, "DuplicateResourceException"),
        ConnectError::AccessDenied(_) => (StatusCode::FORBIDDEN, "AccessDeniedException"),
        ConnectError::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServiceException",
        ),
    };
    AwsError::new(status, error_type, error.to_string())
}

/// Connect answers both a spent rate limit and a full server with its
/// `ThrottlingException` (429), which the SDKs' standard retry mode backs
/// off from and retries. Herald's own signed endpoints answer the same.
pub fn overload(error: &OverloadError) -> AwsError {
    AwsError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "ThrottlingException",
        error.to_string(),
    )
    .retry_after(error.retry_after_seconds())
}
