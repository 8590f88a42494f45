//! The errors of Herald's Chime rules; the protocol layer maps each to the
//! AWS error of the same name in one place.

use herald_store::StoreError;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChimeError {
    /// Malformed or invalid input; the message names the member.
    #[error("{0}")]
    BadRequest(String),
    /// The `x-amz-chime-bearer` is not a user of the app instance.
    #[error("{0}")]
    UnauthorizedClient(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The store is unreachable; nothing changed, a retry may succeed.
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error("{0}")]
    ServiceFailure(String),
}

pub type ChimeResult<T> = Result<T, ChimeError>;

impl From<crate::pagination::InvalidToken> for ChimeError {
    fn from(error: crate::pagination::InvalidToken) -> Self {
        ChimeError::BadRequest(error.to_string())
    }
}

impl From<StoreError> for ChimeError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => ChimeError::Conflict(message),
            StoreError::Gone(_) => ChimeError::NotFound(
                "A resource this request refers to was deleted while it ran.".into(),
            ),
            StoreError::Unavailable(_) => {
                tracing::error!(%error, "store unavailable");
                ChimeError::ServiceUnavailable(
                    "The service is temporarily unavailable; please retry.".into(),
                )
            }
            StoreError::Full(_) => {
                tracing::error!(%error, "store full");
                ChimeError::ServiceFailure(
                    "Herald's storage is full: the write was not made. Retry once space is freed."
                        .into(),
                )
            }
            StoreError::Corrupt(_) => {
                tracing::error!(%error, "store failure");
                ChimeError::ServiceFailure("Request processing failed.".into())
            }
        }
    }
}

pub fn bad_request(message: impl Into<String>) -> ChimeError {
    ChimeError::BadRequest(message.into())
}

pub fn forbidden(message: impl Into<String>) -> ChimeError {
    ChimeError::Forbidden(message.into())
}

pub fn not_found(message: impl Into<String>) -> ChimeError {
    ChimeError::NotFound(message.into())
}
