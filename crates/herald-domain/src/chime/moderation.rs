//! Channel moderators and bans.

use herald_store::chime::{AddOutcome, AppInstanceUserRecord, BanRecord, ModeratorRecord};

use super::ChimeService;
use super::error::{ChimeResult, bad_request, forbidden, not_found};
use super::standing::ChannelContext;
use super::validate::{self, required};
use super::views::ChannelRoleView;
use crate::pagination::TokenScope;
use crate::{Caller, Page};

impl ChimeService {
    fn role_view(
        &self,
        context: &ChannelContext,
        user: &AppInstanceUserRecord,
        created_by: herald_store::chime::IdentitySnapshot,
        created: jiff::Timestamp,
    ) -> ChannelRoleView {
        ChannelRoleView {
            channel_arn: context.channel_arn.clone(),
            user: self.identity(&context.app_instance, user),
            created_by,
            created,
        }
    }

    /// A user named in a body for a moderator or ban, which must be a user
    /// of the channel's app instance (`BadRequestException` otherwise).
    async fn named_user(
        &self,
        caller: &Caller,
        context: &ChannelContext,
        value: &str,
        member: &str,
    ) -> ChimeResult<AppInstanceUserRecord> {
        self.target_user(caller, context, value, member)
            .await?
            .ok_or_else(|| {
                bad_request(format!(
                    "{member} {value} is not an AppInstanceUser of this app instance."
                ))
            })
    }

    pub async fn create_channel_moderator(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        moderator_arn: Option<&str>,
    ) -> ChimeResult<ChannelRoleView> {
        let moderator_arn = required(moderator_arn, "ChannelModeratorArn")?;
        validate::arn_shape(moderator_arn, "ChannelModeratorArn")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.moderates(), "add moderators")?;
        let user = self
            .named_user(caller, &context, moderator_arn, "ChannelModeratorArn")
            .await?;
        let now = self.clock.now();
        match self
            .store
            .add_moderator(context.channel.seq, user.seq, &context.bearer_identity, now)
            .await?
        {
            AddOutcome::Added | AddOutcome::AlreadyThere => {}
            AddOutcome::Banned => {
                return Err(forbidden(format!(
                    "{moderator_arn} is banned from channel {channel_arn}."
                )));
            }
            AddOutcome::NoSuchUser => {
                return Err(bad_request(format!(
                    "ChannelModeratorArn {moderator_arn} was deleted while the request ran."
                )));
            }
        }
        Ok(self.role_view(&context, &user, context.bearer_identity.clone(), now))
    }

    pub async fn list_channel_moderators(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ChimeResult<(String, Page<ChannelRoleView>)> {
        let limit = validate::max_results(max_results)?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.may_view(), "see the moderators")?;
        let scope = TokenScope::new("ListChannelModerators", &channel_arn);
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows: Vec<ModeratorRecord> = self
            .store
            .list_moderators(context.channel.seq, after, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| row.seq);
        Ok((
            context.channel_arn.clone(),
            page.map(|row| self.role_view(&context, &row.moderator, row.created_by, row.created)),
        ))
    }

    pub async fn delete_channel_moderator(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        moderator_arn: &str,
    ) -> ChimeResult<()> {
        validate::arn_shape(moderator_arn, "ChannelModeratorArn")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.moderates(), "remove moderators")?;
        if let Some(user) = self
            .target_user(caller, &context, moderator_arn, "ChannelModeratorArn")
            .await?
        {
            self.store
                .remove_moderator(context.channel.seq, user.seq)
                .await?;
        }
        Ok(())
    }

    pub async fn create_channel_ban(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arn: Option<&str>,
    ) -> ChimeResult<ChannelRoleView> {
        let member_arn = required(member_arn, "MemberArn")?;
        validate::arn_shape(member_arn, "MemberArn")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.moderates(), "ban members")?;
        let user = self
            .named_user(caller, &context, member_arn, "MemberArn")
            .await?;
        self.store
            .ban(
                context.channel.seq,
                user.seq,
                &context.bearer_identity,
                self.clock.now(),
            )
            .await?;
        // A repeated ban changes nothing: answer with the ban as stored.
        let ban = self
            .store
            .get_ban(context.channel.seq, user.seq)
            .await?
            .ok_or_else(|| not_found(format!("{member_arn} was deleted while the request ran.")))?;
        Ok(self.ban_view(&context, ban))
    }

    fn ban_view(&self, context: &ChannelContext, ban: BanRecord) -> ChannelRoleView {
        self.role_view(context, &ban.member, ban.created_by, ban.created)
    }

    pub async fn describe_channel_ban(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arn: &str,
    ) -> ChimeResult<ChannelRoleView> {
        validate::arn_shape(member_arn, "MemberArn")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.moderates(), "see bans")?;
        let missing = || not_found(format!("{member_arn} is not banned from {channel_arn}."));
        let user = self
            .target_user(caller, &context, member_arn, "MemberArn")
            .await?
            .ok_or_else(missing)?;
        let ban = self
            .store
            .get_ban(context.channel.seq, user.seq)
            .await?
            .ok_or_else(missing)?;
        Ok(self.ban_view(&context, ban))
    }

    pub async fn list_channel_bans(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ChimeResult<(String, Page<ChannelRoleView>)> {
        let limit = validate::max_results(max_results)?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.moderates(), "see bans")?;
        let scope = TokenScope::new("ListChannelBans", &channel_arn);
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows = self
            .store
            .list_bans(context.channel.seq, after, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| row.seq);
        Ok((
            context.channel_arn.clone(),
            page.map(|ban| self.ban_view(&context, ban)),
        ))
    }

    pub async fn delete_channel_ban(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        member_arn: &str,
    ) -> ChimeResult<()> {
        validate::arn_shape(member_arn, "MemberArn")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.moderates(), "lift bans")?;
        if let Some(user) = self
            .target_user(caller, &context, member_arn, "MemberArn")
            .await?
        {
            self.store.unban(context.channel.seq, user.seq).await?;
        }
        Ok(())
    }
}
