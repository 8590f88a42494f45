//! Channel memberships: create (one or a batch), describe, list, delete.

use herald_store::chime::{
    AddOutcome, ChannelMode, ChannelPrivacy, MembershipRecord, MembershipType,
};

use super::ChimeService;
use super::error::{ChimeResult, bad_request, forbidden, not_found};
use super::standing::ChannelContext;
use super::validate::{self, required};
use super::views::{BatchMemberError, BatchMembershipView, MembershipView};
use crate::pagination::TokenScope;
use crate::{Caller, Page};

const MEMBERSHIP_TYPES: [&str; 2] = ["DEFAULT", "HIDDEN"];
/// `MemberArns` of a batch: 1 to 100.
const MAX_BATCH: usize = 100;

fn membership_type(
    value: Option<&str>,
    default: Option<MembershipType>,
) -> ChimeResult<MembershipType> {
    match (value, default) {
        (Some(value), _) => {
            validate::one_of(value, "Type", MembershipType::parse, &MEMBERSHIP_TYPES)
        }
        (None, Some(default)) => Ok(default),
        (None, None) => Err(bad_request("Type is required.")),
    }
}

/// Moderators and admins may add anyone; in an unrestricted channel so
/// may members, and in a public unrestricted channel anyone may add
/// themselves. Hidden members only moderators add.
fn may_add(context: &ChannelContext, only_self: bool, membership_type: MembershipType) -> bool {
    context.moderates()
        || (membership_type == MembershipType::Default
            && context.channel.mode == ChannelMode::Unrestricted
            && (context.is_member()
                || (context.channel.privacy == ChannelPrivacy::Public && only_self)))
}

impl ChimeService {
    fn membership_view(
        &self,
        context: &ChannelContext,
        record: MembershipRecord,
    ) -> MembershipView {
        MembershipView {
            channel_arn: context.channel_arn.clone(),
            member: self.identity(&context.app_instance, &record.member),
            membership_type: record.membership_type,
            invited_by: record.invited_by,
            created: record.created,
            updated: record.updated,
        }
    }

    pub async fn create_channel_membership(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arn: Option<&str>,
        membership_type: Option<&str>,
        sub_channel_given: bool,
    ) -> ChimeResult<MembershipView> {
        let member_arn = required(member_arn, "MemberArn")?;
        validate::arn_shape(member_arn, "MemberArn")?;
        let membership_type = self::membership_type(membership_type, None)?;
        validate::unsupported(sub_channel_given, "SubChannelId")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(
            may_add(
                &context,
                member_arn == context.bearer_identity.arn,
                membership_type,
            ),
            "add members",
        )?;
        let missing = || {
            not_found(format!(
                "MemberArn {member_arn} is not an AppInstanceUser of this app instance."
            ))
        };
        let user = self
            .target_user(caller, &context, member_arn, "MemberArn")
            .await?
            .ok_or_else(missing)?;
        let outcome = self
            .store
            .add_members(
                context.channel.seq,
                &[user.seq],
                membership_type,
                &context.bearer_identity,
                self.clock.now(),
            )
            .await?;
        match outcome.first() {
            Some(AddOutcome::Added | AddOutcome::AlreadyThere) => {}
            Some(AddOutcome::Banned) => {
                return Err(forbidden(format!(
                    "{member_arn} is banned from channel {channel_arn}."
                )));
            }
            Some(AddOutcome::NoSuchUser) | None => return Err(missing()),
        }
        let record = self
            .store
            .get_membership(context.channel.seq, user.seq)
            .await?
            .ok_or_else(missing)?;
        Ok(self.membership_view(&context, record))
    }

    pub async fn batch_create_channel_membership(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arns: Option<Vec<String>>,
        membership_type: Option<&str>,
        sub_channel_given: bool,
    ) -> ChimeResult<BatchMembershipView> {
        let member_arns = required(member_arns, "MemberArns")?;
        if member_arns.is_empty() || member_arns.len() > MAX_BATCH {
            return Err(bad_request(format!(
                "MemberArns must hold 1 to {MAX_BATCH} ARNs; got {}.",
                member_arns.len()
            )));
        }
        for value in &member_arns {
            validate::arn_shape(value, "MemberArns")?;
        }
        let membership_type =
            self::membership_type(membership_type, Some(MembershipType::Default))?;
        validate::unsupported(sub_channel_given, "SubChannelId")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        let only_self = member_arns
            .iter()
            .all(|value| *value == context.bearer_identity.arn);
        context.require(may_add(&context, only_self, membership_type), "add members")?;

        let mut errors = Vec::new();
        let mut found = Vec::new();
        for value in member_arns {
            match self
                .target_user(caller, &context, &value, "MemberArns")
                .await?
            {
                Some(user) => found.push((value, user)),
                None => errors.push(BatchMemberError {
                    message: format!("{value} is not an AppInstanceUser of this app instance."),
                    member_arn: value,
                    code: "NotFound",
                }),
            }
        }
        let seqs: Vec<i64> = found.iter().map(|(_, user)| user.seq).collect();
        let outcomes = self
            .store
            .add_members(
                context.channel.seq,
                &seqs,
                membership_type,
                &context.bearer_identity,
                self.clock.now(),
            )
            .await?;
        let mut members = Vec::new();
        for ((value, user), outcome) in found.into_iter().zip(outcomes) {
            match outcome {
                AddOutcome::Added | AddOutcome::AlreadyThere => {
                    members.push(self.identity(&context.app_instance, &user));
                }
                AddOutcome::Banned => errors.push(BatchMemberError {
                    message: format!("{value} is banned from this channel."),
                    member_arn: value,
                    code: "Forbidden",
                }),
                AddOutcome::NoSuchUser => errors.push(BatchMemberError {
                    message: format!("{value} was deleted while the request ran."),
                    member_arn: value,
                    code: "NotFound",
                }),
            }
        }
        Ok(BatchMembershipView {
            channel_arn: context.channel_arn.clone(),
            membership_type,
            invited_by: context.bearer_identity.clone(),
            members,
            errors,
        })
    }

    pub async fn describe_channel_membership(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arn: &str,
        sub_channel_given: bool,
    ) -> ChimeResult<MembershipView> {
        validate::arn_shape(member_arn, "MemberArn")?;
        validate::unsupported(sub_channel_given, "SubChannelId")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.may_view(), "see the members")?;
        let missing = || {
            not_found(format!(
                "{member_arn} is not a member of channel {channel_arn}."
            ))
        };
        let user = self
            .target_user(caller, &context, member_arn, "MemberArn")
            .await?
            .ok_or_else(missing)?;
        let record = self
            .store
            .get_membership(context.channel.seq, user.seq)
            .await?
            .ok_or_else(missing)?;
        Ok(self.membership_view(&context, record))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn list_channel_memberships(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        membership_type: Option<&str>,
        max_results: Option<i64>,
        next_token: Option<&str>,
        sub_channel_given: bool,
    ) -> ChimeResult<(String, Page<MembershipView>)> {
        let membership_type =
            self::membership_type(membership_type, Some(MembershipType::Default))?;
        let limit = validate::max_results(max_results)?;
        validate::unsupported(sub_channel_given, "SubChannelId")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.may_view(), "see the members")?;
        let scope = TokenScope::new(
            "ListChannelMemberships",
            &(channel_arn, membership_type.as_str()),
        );
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows = self
            .store
            .list_memberships(context.channel.seq, membership_type, after, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| row.seq);
        Ok((
            context.channel_arn.clone(),
            page.map(|record| self.membership_view(&context, record)),
        ))
    }

    pub async fn delete_channel_membership(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arn: &str,
        sub_channel_given: bool,
    ) -> ChimeResult<()> {
        validate::arn_shape(member_arn, "MemberArn")?;
        validate::unsupported(sub_channel_given, "SubChannelId")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        let leaving_self = member_arn == context.bearer_identity.arn;
        context.require(context.moderates() || leaving_self, "remove other members")?;
        if let Some(user) = self
            .target_user(caller, &context, member_arn, "MemberArn")
            .await?
        {
            self.store
                .remove_membership(context.channel.seq, user.seq)
                .await?;
        }
        Ok(())
    }
}
