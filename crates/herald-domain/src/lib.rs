//! Herald domain rules.
