//! PutChannelMembershipPreferences and GetChannelMembershipPreferences,
//! exactly as the seed says: only the member who owns the membership, never
//! an admin or moderator on another's behalf, never a banned user.

use herald_store::chime::PushPreference;

use super::ChimeService;
use super::error::{ChimeResult, bad_request, forbidden};
use super::filter_rule::FilterRule;
use super::standing::ChannelContext;
use super::validate::{self, required};
use super::views::PreferencesView;
use crate::Caller;

const ALLOW_NOTIFICATIONS: [&str; 3] = ["ALL", "NONE", "FILTERED"];

#[derive(Debug, Clone, Default)]
pub struct PreferencesInput {
    /// Whether `Preferences` was given at all.
    pub preferences_given: bool,
    /// Whether `Preferences.PushNotifications` was given.
    pub push_notifications_given: bool,
    pub allow_notifications: Option<String>,
    pub filter_rule: Option<String>,
}

/// The preference to store (`None`: `Preferences` without
/// `PushNotifications`, which changes nothing), and the parsed rule.
fn parse_preference(
    input: PreferencesInput,
) -> ChimeResult<Option<(PushPreference, Option<FilterRule>)>> {
    if !input.preferences_given {
        return Err(bad_request("Preferences is required."));
    }
    if !input.push_notifications_given {
        return Ok(None);
    }
    let allow = required(
        input.allow_notifications,
        "Preferences.PushNotifications.AllowNotifications",
    )?;
    let member = "Preferences.PushNotifications.AllowNotifications";
    validate::one_of(
        &allow,
        member,
        |v| ALLOW_NOTIFICATIONS.contains(&v).then_some(()),
        &ALLOW_NOTIFICATIONS,
    )?;
    match (allow.as_str(), input.filter_rule) {
        ("FILTERED", None) => Err(bad_request(
            "Preferences.PushNotifications.FilterRule is required when AllowNotifications is FILTERED.",
        )),
        ("FILTERED", Some(text)) => {
            let rule = FilterRule::parse(&text).map_err(|error| {
                bad_request(format!(
                    "Preferences.PushNotifications.FilterRule: {error}."
                ))
            })?;
            Ok(Some((PushPreference::Filtered { rule: text }, Some(rule))))
        }
        (other, Some(_)) => Err(bad_request(format!(
            "Preferences.PushNotifications.FilterRule is only allowed when AllowNotifications is FILTERED, not {other}."
        ))),
        ("ALL", None) => Ok(Some((PushPreference::All, None))),
        _ => Ok(Some((PushPreference::None, None))),
    }
}

impl ChimeService {
    /// The seed's rules, in order: the bearer must be the member; a banned
    /// user may not; the member must be a member.
    fn require_owner(&self, context: &ChannelContext, member_arn: &str) -> ChimeResult<()> {
        if member_arn != context.bearer_identity.arn {
            return Err(forbidden(format!(
                "Only the member who owns the membership may set or read its preferences; {} is not {member_arn}.",
                context.bearer_identity.arn
            )));
        }
        if context.standing.banned {
            return Err(forbidden(format!(
                "{member_arn} is banned from channel {}.",
                context.channel_arn
            )));
        }
        if !context.is_member() {
            return Err(not_a_member(member_arn, &context.channel_arn));
        }
        Ok(())
    }

    pub async fn put_channel_membership_preferences(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arn: &str,
        input: PreferencesInput,
    ) -> ChimeResult<PreferencesView> {
        validate::arn_shape(member_arn, "MemberArn")?;
        let preference = parse_preference(input)?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        self.require_owner(&context, member_arn)?;
        let stored = match preference {
            Some((preference, rule)) => {
                let written = self
                    .store
                    .set_push_preference(
                        context.channel.seq,
                        context.bearer.seq,
                        &preference,
                        self.clock.now(),
                    )
                    .await?;
                if !written {
                    return Err(not_a_member(member_arn, channel_arn));
                }
                if let Some(rule) = rule {
                    self.rules.insert(rule);
                }
                Some(preference)
            }
            None => self.current_preference(&context, member_arn).await?,
        };
        Ok(PreferencesView {
            channel_arn: context.channel_arn.clone(),
            member: context.bearer_identity.clone(),
            push: stored,
        })
    }

    pub async fn get_channel_membership_preferences(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arn: &str,
    ) -> ChimeResult<PreferencesView> {
        validate::arn_shape(member_arn, "MemberArn")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        self.require_owner(&context, member_arn)?;
        let push = self.current_preference(&context, member_arn).await?;
        Ok(PreferencesView {
            channel_arn: context.channel_arn.clone(),
            member: context.bearer_identity.clone(),
            push,
        })
    }

    async fn current_preference(
        &self,
        context: &ChannelContext,
        member_arn: &str,
    ) -> ChimeResult<Option<PushPreference>> {
        let membership = self
            .store
            .get_membership(context.channel.seq, context.bearer.seq)
            .await?
            .ok_or_else(|| not_a_member(member_arn, &context.channel_arn))?;
        Ok(membership.push_preference)
    }
}

fn not_a_member(member_arn: &str, channel_arn: &str) -> super::ChimeError {
    forbidden(format!(
        "{member_arn} is not a member of channel {channel_arn}."
    ))
}
