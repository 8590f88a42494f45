//! The errors of Herald's rules. The protocol layer maps each to an AWS
//! error in one place per service.

use herald_store::StoreError;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnectError {
    /// A value breaks a constraint (length, range, enum, recipient, …).
    #[error("{0}")]
    InvalidParameter(String),
    /// The request as a whole cannot be honoured (stale write, …).
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    DuplicateResource(String),
    #[error("{0}")]
    AccessDenied(String),
    /// The store failed; nothing was changed.
    #[error("{0}")]
    Internal(String),
}

pub type ConnectResult<T> = Result<T, ConnectError>;

impl From<crate::pagination::InvalidToken> for ConnectError {
    fn from(error: crate::pagination::InvalidToken) -> Self {
        ConnectError::InvalidParameter(error.to_string())
    }
}

impl From<StoreError> for ConnectError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => ConnectError::DuplicateResource(message),
            StoreError::Gone(_) => ConnectError::ResourceNotFound(
                "A resource this request refers to was deleted while it ran.".into(),
            ),
            StoreError::Full(_) => {
                tracing::error!(%error, "store full");
                ConnectError::Internal(
                    "Herald's storage is full: the write was not made. Retry once space is freed."
                        .into(),
                )
            }
            StoreError::Unavailable(_) | StoreError::Corrupt(_) => {
                // The detail goes to the log, not to the client.
                tracing::error!(%error, "store failure");
                ConnectError::Internal("Request processing failed; please retry.".into())
            }
        }
    }
}
