//! CreateChannel, DescribeChannel, ListChannels, DeleteChannel.

use herald_store::chime::{
    AppInstanceRecord, ChannelMode, ChannelPrivacy, ChannelRecord, Created, NewChannel,
};

use super::error::{ChimeResult, bad_request, forbidden, not_found};
use super::standing::required_bearer;
use super::validate::{self, required};
use super::views::ChannelView;
use super::{ChimeService, arn};
use crate::pagination::TokenScope;
use crate::{Caller, Page};

const MODES: [&str; 2] = ["UNRESTRICTED", "RESTRICTED"];
const PRIVACIES: [&str; 2] = ["PUBLIC", "PRIVATE"];
/// `ChannelMemberArns` and `ChannelModeratorArns` hold 1 to 10 ARNs.
const MAX_LISTED_USERS: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct CreateChannelInput {
    pub app_instance_arn: Option<String>,
    pub name: Option<String>,
    pub mode: Option<String>,
    pub privacy: Option<String>,
    pub metadata: Option<String>,
    pub client_request_token: Option<String>,
    pub tags: Option<Vec<(String, String)>>,
    pub channel_id: Option<String>,
    pub member_arns: Option<Vec<String>>,
    pub moderator_arns: Option<Vec<String>>,
    pub elastic_configuration_given: bool,
    pub expiration_settings_given: bool,
}

impl ChimeService {
    pub(super) fn channel_view(
        &self,
        app_instance: &AppInstanceRecord,
        channel: ChannelRecord,
    ) -> ChannelView {
        ChannelView {
            arn: arn::channel_arn(&self.app_instance_arn(app_instance), &channel.channel_id),
            channel,
        }
    }

    /// The users an ARN list names, all of `app_instance`; an ARN that names
    /// none is a `BadRequestException` naming it.
    async fn listed_users(
        &self,
        caller: &Caller,
        app_instance: &AppInstanceRecord,
        arns: Option<Vec<String>>,
        member: &str,
    ) -> ChimeResult<Vec<i64>> {
        let Some(arns) = arns else {
            return Ok(Vec::new());
        };
        if arns.is_empty() || arns.len() > MAX_LISTED_USERS {
            return Err(bad_request(format!(
                "{member} must hold 1 to {MAX_LISTED_USERS} ARNs; got {}.",
                arns.len()
            )));
        }
        let mut seqs = Vec::with_capacity(arns.len());
        for value in &arns {
            let user = match self.user(caller, value, member).await {
                Ok((instance, user)) if instance.seq == app_instance.seq => Some(user),
                Ok(_) | Err(super::ChimeError::NotFound(_)) => None,
                Err(other) => return Err(other),
            };
            let user = user.ok_or_else(|| {
                bad_request(format!(
                    "{member}: {value} is not an AppInstanceUser of this app instance."
                ))
            })?;
            seqs.push(user.seq);
        }
        Ok(seqs)
    }

    pub async fn create_channel(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        input: CreateChannelInput,
    ) -> ChimeResult<String> {
        let bearer_arn = required_bearer(bearer)?;
        let app_instance_arn = required(input.app_instance_arn, "AppInstanceArn")?;
        let name = required(input.name, "Name")?;
        validate::resource_name(&name, "Name")?;
        let mode = match &input.mode {
            Some(mode) => validate::one_of(mode, "Mode", ChannelMode::parse, &MODES)?,
            None => ChannelMode::Unrestricted,
        };
        let privacy = match &input.privacy {
            Some(privacy) => {
                validate::one_of(privacy, "Privacy", ChannelPrivacy::parse, &PRIVACIES)?
            }
            None => ChannelPrivacy::Public,
        };
        let metadata = validate::metadata(input.metadata, "Metadata")?;
        let token = validate::client_request_token(input.client_request_token)?;
        let tags = validate::tags(input.tags)?;
        if let Some(id) = &input.channel_id {
            validate::resource_id(id, "ChannelId")?;
        }
        validate::unsupported(
            input.elastic_configuration_given,
            "ElasticChannelConfiguration",
        )?;
        validate::unsupported(input.expiration_settings_given, "ExpirationSettings")?;
        let app_instance = self
            .app_instance(caller, &app_instance_arn, "AppInstanceArn")
            .await?;
        let digest_members = input.member_arns.clone().unwrap_or_default().join("\n");
        let digest_moderators = input.moderator_arns.clone().unwrap_or_default().join("\n");
        let claim = self.claim(
            caller,
            "CreateChannel",
            token,
            &[
                &app_instance_arn,
                bearer_arn,
                &name,
                mode.as_str(),
                privacy.as_str(),
                &metadata,
                &serde_json::to_string(&tags).unwrap_or_default(),
                input.channel_id.as_deref().unwrap_or("\0"),
                &digest_members,
                &digest_moderators,
            ],
        );
        // A retry of a create that succeeded answers as it did, even if the
        // creator or a listed user has gone since.
        if let Some(channel_id) = self.store.replayed_claim(&claim).await? {
            return Ok(arn::channel_arn(
                &self.app_instance_arn(&app_instance),
                &channel_id,
            ));
        }
        let creator = self.bearer_in(caller, &app_instance, bearer_arn).await?;
        let member_seqs = self
            .listed_users(caller, &app_instance, input.member_arns, "MemberArns")
            .await?;
        let moderator_seqs = self
            .listed_users(caller, &app_instance, input.moderator_arns, "ModeratorArns")
            .await?;
        let channel_id = input
            .channel_id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let created = self
            .store
            .create_channel(
                NewChannel {
                    app_instance_seq: app_instance.seq,
                    channel_id,
                    name,
                    mode,
                    privacy,
                    metadata,
                    tags,
                    created_by: self.identity(&app_instance, &creator),
                    created: self.clock.now(),
                    creator_seq: creator.seq,
                    member_seqs,
                    moderator_seqs,
                },
                claim,
            )
            .await?;
        let channel_id = match created {
            Created::New(record) => record.channel_id,
            Created::Replayed { resource_id } => resource_id,
        };
        Ok(arn::channel_arn(
            &self.app_instance_arn(&app_instance),
            &channel_id,
        ))
    }

    pub async fn describe_channel(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
    ) -> ChimeResult<ChannelView> {
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.may_view(), "describe this private channel")?;
        Ok(self.channel_view(&context.app_instance, context.channel))
    }

    pub async fn list_channels(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        app_instance_arn: Option<&str>,
        privacy: Option<&str>,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ChimeResult<Page<ChannelView>> {
        let bearer_arn = required_bearer(bearer)?;
        let app_instance_arn = required(app_instance_arn, "AppInstanceArn")?;
        let privacy = match privacy {
            Some(privacy) => {
                validate::one_of(privacy, "Privacy", ChannelPrivacy::parse, &PRIVACIES)?
            }
            None => ChannelPrivacy::Public,
        };
        let limit = validate::max_results(max_results)?;
        let app_instance = self
            .app_instance(caller, app_instance_arn, "AppInstanceArn")
            .await?;
        let bearer = self.bearer_in(caller, &app_instance, bearer_arn).await?;
        if privacy == ChannelPrivacy::Private
            && !self
                .store
                .is_app_instance_admin(app_instance.seq, bearer.seq)
                .await?
        {
            return Err(forbidden(
                "Only an AppInstanceAdmin may list PRIVATE channels.",
            ));
        }
        let scope = TokenScope::new("ListChannels", &(app_instance_arn, privacy.as_str()));
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows = self
            .store
            .list_channels(app_instance.seq, privacy, after, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| row.seq);
        Ok(page.map(|channel| self.channel_view(&app_instance, channel)))
    }

    pub async fn delete_channel(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
    ) -> ChimeResult<()> {
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.moderates(), "delete the channel")?;
        if !self.store.delete_channel(context.channel.seq).await? {
            return Err(not_found(format!("Channel {channel_arn} was not found.")));
        }
        Ok(())
    }
}
