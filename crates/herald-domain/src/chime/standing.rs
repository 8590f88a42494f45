//! Who the bearer is in a channel, and the permission rules that follow
//! from it (docs/chime-semantics.md, "Who may do what in a channel").

use herald_store::chime::{
    AppInstanceRecord, AppInstanceUserRecord, ChannelPrivacy, ChannelRecord, ChannelStanding,
    IdentitySnapshot,
};

use super::arn::ChimeResource;
use super::error::{ChimeError, ChimeResult, bad_request, forbidden, not_found};
use super::{ChimeService, arn};
use crate::Caller;

/// A messaging request resolved: the channel, its app instance, the bearer
/// and the bearer's standing in the channel.
pub(super) struct ChannelContext {
    pub app_instance: AppInstanceRecord,
    pub channel: ChannelRecord,
    pub channel_arn: String,
    pub bearer: AppInstanceUserRecord,
    pub bearer_identity: IdentitySnapshot,
    pub standing: ChannelStanding,
}

impl ChannelContext {
    pub fn is_member(&self) -> bool {
        self.standing.membership.is_some()
    }

    /// Moderators and AppInstanceAdmins (who moderate every channel).
    pub fn moderates(&self) -> bool {
        self.standing.moderator || self.standing.admin
    }

    /// May see the channel and its member list: anyone of the app
    /// instance for a public channel, else members and moderators.
    pub fn may_view(&self) -> bool {
        self.channel.privacy == ChannelPrivacy::Public || self.is_member() || self.moderates()
    }

    /// May read the channel's messages.
    pub fn may_read(&self) -> bool {
        self.is_member() || self.moderates()
    }

    pub fn require(&self, allowed: bool, action: &str) -> ChimeResult<()> {
        if allowed {
            return Ok(());
        }
        Err(forbidden(format!(
            "{} may not {action} in channel {}.",
            self.bearer_identity.arn, self.channel_arn
        )))
    }
}

pub(super) fn invalid_bearer() -> ChimeError {
    ChimeError::UnauthorizedClient(
        "An invalid app instance user ARN was supplied for the x-amz-chime-bearer HTTP header."
            .into(),
    )
}

pub(super) fn required_bearer(bearer: Option<&str>) -> ChimeResult<&str> {
    bearer.ok_or_else(|| bad_request("ChimeBearer (header x-amz-chime-bearer) is required."))
}

impl ChimeService {
    /// The bearer as a user of `app_instance`, or `UnauthorizedClientException`.
    pub(super) async fn bearer_in(
        &self,
        caller: &Caller,
        app_instance: &AppInstanceRecord,
        bearer: &str,
    ) -> ChimeResult<AppInstanceUserRecord> {
        let Some(parsed) = arn::parse(bearer) else {
            return Err(invalid_bearer());
        };
        let ChimeResource::User {
            app_instance_id,
            user_id,
        } = parsed.resource
        else {
            return Err(invalid_bearer());
        };
        if parsed.region != self.region
            || parsed.account_id != caller.account_id
            || app_instance_id != app_instance.id
        {
            return Err(invalid_bearer());
        }
        self.store
            .get_app_instance_user(app_instance.seq, user_id)
            .await?
            .ok_or_else(invalid_bearer)
    }

    /// Resolves a messaging request on `channel_arn` made as `bearer`.
    pub(super) async fn channel_context(
        &self,
        caller: &Caller,
        channel_arn: &str,
        bearer: Option<&str>,
    ) -> ChimeResult<ChannelContext> {
        let bearer = required_bearer(bearer)?;
        let missing = || not_found(format!("Channel {channel_arn} was not found."));
        let (app_instance_id, channel_id) = match self.own_arn(caller, channel_arn, "ChannelArn")? {
            Some(ChimeResource::Channel {
                app_instance_id,
                channel_id,
            }) => (app_instance_id, channel_id),
            // An ARN of another kind, service, account or region names no
            // channel Herald holds.
            _ => return Err(missing()),
        };
        let app_instance = self
            .store
            .get_app_instance(&caller.account_id, app_instance_id)
            .await?
            .ok_or_else(missing)?;
        let bearer = self.bearer_in(caller, &app_instance, bearer).await?;
        let channel = self
            .store
            .get_channel(app_instance.seq, channel_id)
            .await?
            .ok_or_else(missing)?;
        let standing = self
            .store
            .channel_standing(app_instance.seq, channel.seq, bearer.seq)
            .await?;
        Ok(ChannelContext {
            channel_arn: arn::channel_arn(
                &self.app_instance_arn(&app_instance),
                &channel.channel_id,
            ),
            bearer_identity: self.identity(&app_instance, &bearer),
            app_instance,
            channel,
            bearer,
            standing,
        })
    }

    /// A user named in a request body (a member or moderator to add, a user
    /// to ban): a user of the channel's app instance, or `None`.
    pub(super) async fn target_user(
        &self,
        caller: &Caller,
        context: &ChannelContext,
        value: &str,
        member: &str,
    ) -> ChimeResult<Option<AppInstanceUserRecord>> {
        match self.own_arn(caller, value, member)? {
            Some(ChimeResource::User {
                app_instance_id,
                user_id,
            }) if app_instance_id == context.app_instance.id => Ok(self
                .store
                .get_app_instance_user(context.app_instance.seq, user_id)
                .await?),
            _ => Ok(None),
        }
    }
}
