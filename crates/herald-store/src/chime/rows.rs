//! Column lists and row decoding for the Chime tables, the same on every
//! engine (see [`crate::rows`]).
//!
//! An AppInstanceUser appears inside many records (memberships, moderators,
//! bans, admins, push candidates); its columns are always selected from
//! `chime_users u` under the `u_` aliases of [`USER_COLUMNS`], so one
//! decoder serves every query.

use crate::chime::{
    AdminRecord, AppInstanceRecord, AppInstanceUserRecord, BanRecord, ChannelMode, ChannelPrivacy,
    ChannelRecord, DeliveryRecord, DeliveryState, EndpointRecord, EndpointType, IdentitySnapshot,
    MembershipRecord, MembershipType, MessageRecord, ModeratorRecord, PushNotification,
    PushPreference, PushType,
};
use crate::rows::{Decodes, HeraldRow, get, get_json, get_time, timestamp};
use crate::{StoreError, StoreResult};

pub(crate) const APP_INSTANCE_COLUMNS: &str =
    "seq, account_id, id, name, metadata, created_ms, updated_ms";

/// `chime_users u`, aliased for [`user`].
pub(crate) const USER_COLUMNS: &str = "u.seq AS u_seq, u.app_instance_seq AS u_app_instance_seq, \
     u.user_id AS u_user_id, u.name AS u_name, u.metadata AS u_metadata, \
     u.created_ms AS u_created_ms, u.updated_ms AS u_updated_ms";

/// [`USER_COLUMNS`] for `RETURNING`, where the table has no alias.
pub(crate) const USER_RETURNING: &str = "seq AS u_seq, app_instance_seq AS u_app_instance_seq, \
     user_id AS u_user_id, name AS u_name, metadata AS u_metadata, \
     created_ms AS u_created_ms, updated_ms AS u_updated_ms";

pub(crate) const ENDPOINT_COLUMNS: &str = "seq, user_seq, endpoint_id, name, endpoint_type, \
     resource_arn, device_token, voip_device_token, allow_messages, created_ms, updated_ms";

pub(crate) const CHANNEL_COLUMNS: &str = "seq, app_instance_seq, channel_id, name, mode, \
     privacy, metadata, created_by_arn, created_by_name, created_ms, updated_ms, last_message_ms, \
     audience_version";

/// `chime_memberships m` joined with `chime_users u`.
pub(crate) const MEMBERSHIP_COLUMNS: &str = "m.seq AS seq, m.channel_seq AS channel_seq, \
     m.type AS type, m.invited_by_arn AS invited_by_arn, m.invited_by_name AS invited_by_name, \
     m.created_ms AS created_ms, m.updated_ms AS updated_ms, m.push_allow AS push_allow, \
     m.push_filter_rule AS push_filter_rule";

/// `chime_moderators r` or `chime_bans r` (same shape) joined with
/// `chime_users u`.
pub(crate) const ROLE_COLUMNS: &str = "r.seq AS seq, r.channel_seq AS channel_seq, \
     r.created_by_arn AS created_by_arn, r.created_by_name AS created_by_name, \
     r.created_ms AS created_ms";

pub(crate) const MESSAGE_COLUMNS: &str = "seq, channel_seq, message_id, content, metadata, type, \
     persistent, content_type, attributes, push_type, push_title, push_body, sender_arn, \
     sender_name, created_ms";

pub(crate) const DELIVERY_COLUMNS: &str = "seq, delivery_id, member_arn, endpoint_id, \
     device_token, channel_arn, message_id, title, body, push_type, created_ms, state, attempts, \
     next_attempt_ms";

const PUSH_ALL: &str = "ALL";
const PUSH_NONE: &str = "NONE";
const PUSH_FILTERED: &str = "FILTERED";

/// A stored enum value; anything unknown is damage.
fn parse<T>(
    row: &impl Decodes<String>,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> StoreResult<T> {
    let text: String = get(row, column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{column}: unknown value {text:?}")))
}

fn snapshot(row: &impl Decodes<String>, arn: &str, name: &str) -> StoreResult<IdentitySnapshot> {
    Ok(IdentitySnapshot {
        arn: get(row, arn)?,
        name: get(row, name)?,
    })
}

pub(crate) fn app_instance<R: HeraldRow>(row: &R) -> StoreResult<AppInstanceRecord> {
    Ok(AppInstanceRecord {
        seq: get(row, "seq")?,
        account_id: get(row, "account_id")?,
        id: get(row, "id")?,
        name: get(row, "name")?,
        metadata: get(row, "metadata")?,
        created: get_time(row, "created_ms")?,
        updated: get_time(row, "updated_ms")?,
    })
}

/// The `u_` columns of [`USER_COLUMNS`].
pub(crate) fn user<R: HeraldRow>(row: &R) -> StoreResult<AppInstanceUserRecord> {
    Ok(AppInstanceUserRecord {
        seq: get(row, "u_seq")?,
        app_instance_seq: get(row, "u_app_instance_seq")?,
        user_id: get(row, "u_user_id")?,
        name: get(row, "u_name")?,
        metadata: get(row, "u_metadata")?,
        created: get_time(row, "u_created_ms")?,
        updated: get_time(row, "u_updated_ms")?,
    })
}

/// An `admin_seq` column with the user.
pub(crate) fn admin<R: HeraldRow>(row: &R) -> StoreResult<AdminRecord> {
    Ok(AdminRecord {
        seq: get(row, "admin_seq")?,
        user: user(row)?,
    })
}

pub(crate) fn endpoint<R: HeraldRow>(row: &R) -> StoreResult<EndpointRecord> {
    Ok(EndpointRecord {
        seq: get(row, "seq")?,
        user_seq: get(row, "user_seq")?,
        endpoint_id: get(row, "endpoint_id")?,
        name: get(row, "name")?,
        endpoint_type: parse(row, "endpoint_type", EndpointType::parse)?,
        resource_arn: get(row, "resource_arn")?,
        device_token: get(row, "device_token")?,
        voip_device_token: get(row, "voip_device_token")?,
        allow_messages: get(row, "allow_messages")?,
        created: get_time(row, "created_ms")?,
        updated: get_time(row, "updated_ms")?,
    })
}

pub(crate) fn channel<R: HeraldRow>(row: &R) -> StoreResult<ChannelRecord> {
    let last_message = get::<Option<i64>>(row, "last_message_ms")?
        .map(|ms| timestamp(ms, "last_message_ms"))
        .transpose()?;
    Ok(ChannelRecord {
        seq: get(row, "seq")?,
        app_instance_seq: get(row, "app_instance_seq")?,
        channel_id: get(row, "channel_id")?,
        name: get(row, "name")?,
        mode: parse(row, "mode", ChannelMode::parse)?,
        privacy: parse(row, "privacy", ChannelPrivacy::parse)?,
        metadata: get(row, "metadata")?,
        created_by: snapshot(row, "created_by_arn", "created_by_name")?,
        created: get_time(row, "created_ms")?,
        updated: get_time(row, "updated_ms")?,
        last_message,
        audience_version: get(row, "audience_version")?,
    })
}

/// `push_allow` and `push_filter_rule` as the record's preference.
pub(crate) fn push_preference<R: HeraldRow>(row: &R) -> StoreResult<Option<PushPreference>> {
    let allow: Option<String> = get(row, "push_allow")?;
    preference_of(allow.as_deref(), get(row, "push_filter_rule")?)
}

/// The preference the two stored columns describe.
pub(crate) fn preference_of(
    allow: Option<&str>,
    rule: Option<String>,
) -> StoreResult<Option<PushPreference>> {
    match (allow, rule) {
        (None, _) => Ok(None),
        (Some(PUSH_ALL), _) => Ok(Some(PushPreference::All)),
        (Some(PUSH_NONE), _) => Ok(Some(PushPreference::None)),
        (Some(PUSH_FILTERED), Some(rule)) => Ok(Some(PushPreference::Filtered { rule })),
        (Some(other), _) => Err(StoreError::Corrupt(format!(
            "push_allow: {other:?} without a valid rule"
        ))),
    }
}

/// The stored columns of a preference: (`push_allow`, `push_filter_rule`).
pub(crate) fn push_preference_columns(preference: &PushPreference) -> (&'static str, Option<&str>) {
    match preference {
        PushPreference::All => (PUSH_ALL, None),
        PushPreference::None => (PUSH_NONE, None),
        PushPreference::Filtered { rule } => (PUSH_FILTERED, Some(rule.as_str())),
    }
}

pub(crate) fn membership<R: HeraldRow>(row: &R) -> StoreResult<MembershipRecord> {
    Ok(MembershipRecord {
        seq: get(row, "seq")?,
        channel_seq: get(row, "channel_seq")?,
        member: user(row)?,
        membership_type: parse(row, "type", MembershipType::parse)?,
        invited_by: snapshot(row, "invited_by_arn", "invited_by_name")?,
        created: get_time(row, "created_ms")?,
        updated: get_time(row, "updated_ms")?,
        push_preference: push_preference(row)?,
    })
}

pub(crate) fn moderator<R: HeraldRow>(row: &R) -> StoreResult<ModeratorRecord> {
    Ok(ModeratorRecord {
        seq: get(row, "seq")?,
        channel_seq: get(row, "channel_seq")?,
        moderator: user(row)?,
        created_by: snapshot(row, "created_by_arn", "created_by_name")?,
        created: get_time(row, "created_ms")?,
    })
}

pub(crate) fn ban<R: HeraldRow>(row: &R) -> StoreResult<BanRecord> {
    Ok(BanRecord {
        seq: get(row, "seq")?,
        channel_seq: get(row, "channel_seq")?,
        member: user(row)?,
        created_by: snapshot(row, "created_by_arn", "created_by_name")?,
        created: get_time(row, "created_ms")?,
    })
}

pub(crate) fn message<R: HeraldRow>(row: &R) -> StoreResult<MessageRecord> {
    let push = get::<Option<String>>(row, "push_type")?
        .map(|text| {
            let push_type = PushType::parse(&text)
                .ok_or_else(|| StoreError::Corrupt(format!("push_type: unknown value {text:?}")))?;
            Ok::<_, StoreError>(PushNotification {
                title: get(row, "push_title")?,
                body: get(row, "push_body")?,
                push_type,
            })
        })
        .transpose()?;
    Ok(MessageRecord {
        seq: get(row, "seq")?,
        channel_seq: get(row, "channel_seq")?,
        message_id: get(row, "message_id")?,
        content: get(row, "content")?,
        metadata: get(row, "metadata")?,
        message_type: get(row, "type")?,
        persistent: get(row, "persistent")?,
        content_type: get(row, "content_type")?,
        attributes: get_json(row, "attributes")?,
        push,
        sender: snapshot(row, "sender_arn", "sender_name")?,
        created: get_time(row, "created_ms")?,
    })
}

pub(crate) fn delivery<R: HeraldRow>(row: &R) -> StoreResult<DeliveryRecord> {
    let attempts: i64 = get(row, "attempts")?;
    let attempts = u32::try_from(attempts)
        .map_err(|_| StoreError::Corrupt(format!("attempts: {attempts} is out of range")))?;
    Ok(DeliveryRecord {
        seq: get(row, "seq")?,
        delivery_id: get(row, "delivery_id")?,
        member_arn: get(row, "member_arn")?,
        endpoint_id: get(row, "endpoint_id")?,
        device_token: get(row, "device_token")?,
        channel_arn: get(row, "channel_arn")?,
        message_id: get(row, "message_id")?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        push_type: parse(row, "push_type", PushType::parse)?,
        created: get_time(row, "created_ms")?,
        state: parse(row, "state", DeliveryState::parse)?,
        attempts,
        next_attempt: get_time(row, "next_attempt_ms")?,
    })
}
