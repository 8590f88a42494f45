//! What every AWS restJson1 service here shares: the route table matcher,
//! the request view handlers read from, AWS errors, and timestamps.

pub mod error;
pub mod request;
pub mod routing;
pub mod timestamp;

pub use error::AwsError;
pub use request::AwsRequest;
