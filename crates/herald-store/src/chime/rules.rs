//! What both engines decide the same way once they have read the rows: the
//! per-channel role tables, the outcome of adding members, and which
//! decided deliveries a message may still store.

use std::collections::HashSet;

use crate::chime::{AddOutcome, NewDelivery};

/// A per-channel role table keyed by (channel_seq, user_seq).
#[derive(Clone, Copy)]
pub(crate) enum Role {
    Member,
    Moderator,
    Ban,
}

impl Role {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Role::Member => "chime_memberships",
            Role::Moderator => "chime_moderators",
            Role::Ban => "chime_bans",
        }
    }
}

/// One outcome per user, in order, and the users to insert: only existing,
/// unbanned users who are not members yet (each once).
pub(crate) fn add_outcomes(
    user_seqs: &[i64],
    existing: &HashSet<i64>,
    banned: &HashSet<i64>,
    mut members: HashSet<i64>,
) -> (Vec<AddOutcome>, Vec<i64>) {
    let mut added = Vec::new();
    let outcomes = user_seqs
        .iter()
        .map(|seq| {
            if !existing.contains(seq) {
                AddOutcome::NoSuchUser
            } else if banned.contains(seq) {
                AddOutcome::Banned
            } else if members.insert(*seq) {
                added.push(*seq);
                AddOutcome::Added
            } else {
                AddOutcome::AlreadyThere
            }
        })
        .collect();
    (outcomes, added)
}

/// Whether the deliveries must be checked against the channel's members
/// before they are stored: when any were decided from an audience older
/// than the channel's current version (or from none known). At the current
/// version nothing that changes who is pushed has committed since, so the
/// members need not be read again.
pub(crate) fn audience_changed(
    deliveries: &[NewDelivery],
    decided_at: Option<i64>,
    audience_version: i64,
) -> bool {
    !deliveries.is_empty() && decided_at != Some(audience_version)
}

/// The deliveries to users who are still members.
pub(crate) fn to_members(deliveries: Vec<NewDelivery>, members: &HashSet<i64>) -> Vec<NewDelivery> {
    deliveries
        .into_iter()
        .filter(|d| members.contains(&d.member_seq))
        .collect()
}
