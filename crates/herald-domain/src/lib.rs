//! Herald's rules: what a valid request is, who receives a notification,
//! how statuses change, how searches match, how listings page.
//!
//! No HTTP and no SQL here: the protocol layer turns wire shapes into the
//! inputs below, and the store keeps records.

pub mod access;
pub mod arn;
pub mod chime;
pub mod clock;
pub mod connect;
pub mod error;
pub mod live;
pub mod pagination;

pub use access::{Caller, ChimeAccess, ConnectAccess, Role};
pub use clock::{Clock, SystemClock};
pub use error::{ConnectError, ConnectResult};

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_token: self.next_token,
        }
    }
}
