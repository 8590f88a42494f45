//! Amazon Chime SDK Messaging: the rules Herald applies to channel messages.

pub mod filter_rule;
