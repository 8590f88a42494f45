//! Authentication: SigV4 signatures checked against the keys in force.

pub mod authenticate;
pub mod credentials;
pub mod sigv4;
