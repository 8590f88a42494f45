//! Push endpoints of an app instance user: the devices pushes go to.

use herald_store::chime::{Created, EndpointType, EndpointUpdate, NewEndpoint};

use super::error::{ChimeResult, bad_request, not_found};
use super::validate::{self, required};
use super::views::EndpointView;
use super::{ChimeService, arn};
use crate::pagination::TokenScope;
use crate::{Caller, Page};

const ENDPOINT_TYPES: [&str; 3] = ["APNS", "APNS_SANDBOX", "GCM"];
const ALLOW_MESSAGES: [&str; 2] = ["ALL", "NONE"];

#[derive(Debug, Clone, Default)]
pub struct RegisterEndpointInput {
    pub name: Option<String>,
    pub endpoint_type: Option<String>,
    pub resource_arn: Option<String>,
    pub device_token: Option<String>,
    pub voip_device_token: Option<String>,
    /// Whether `EndpointAttributes` was present at all.
    pub endpoint_attributes_given: bool,
    pub client_request_token: Option<String>,
    pub allow_messages: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateEndpointInput {
    pub name: Option<String>,
    pub allow_messages: Option<String>,
}

fn allow_messages(value: &str) -> ChimeResult<bool> {
    validate::one_of(
        value,
        "AllowMessages",
        |v| match v {
            "ALL" => Some(true),
            "NONE" => Some(false),
            _ => None,
        },
        &ALLOW_MESSAGES,
    )
}

fn endpoint_id(value: &str) -> ChimeResult<()> {
    validate::length(value, "EndpointId", 1, 64)
}

impl ChimeService {
    pub async fn register_endpoint(
        &self,
        caller: &Caller,
        user_arn: &str,
        input: RegisterEndpointInput,
    ) -> ChimeResult<(String, String)> {
        let name = input.name.unwrap_or_default();
        validate::length(&name, "Name", 0, 1600)?;
        let kind = required(input.endpoint_type, "Type")?;
        let kind = validate::one_of(&kind, "Type", EndpointType::parse, &ENDPOINT_TYPES)?;
        let resource_arn = required(input.resource_arn, "ResourceArn")?;
        validate::arn_shape(&resource_arn, "ResourceArn")?;
        if !input.endpoint_attributes_given {
            return Err(bad_request("EndpointAttributes is required."));
        }
        let device_token = required(input.device_token, "EndpointAttributes.DeviceToken")?;
        validate::length(&device_token, "EndpointAttributes.DeviceToken", 1, 1600)?;
        if let Some(voip) = &input.voip_device_token {
            validate::length(voip, "EndpointAttributes.VoipDeviceToken", 1, 1600)?;
        }
        let token = validate::client_request_token(input.client_request_token)?;
        let allow = match &input.allow_messages {
            Some(value) => allow_messages(value)?,
            None => true,
        };
        let (app_instance, user) = self.user(caller, user_arn, "AppInstanceUserArn").await?;
        let claim = self.claim(
            caller,
            "RegisterAppInstanceUserEndpoint",
            token,
            &[
                user_arn,
                &name,
                kind.as_str(),
                &resource_arn,
                &device_token,
                input.voip_device_token.as_deref().unwrap_or("\0"),
                if allow { "ALL" } else { "NONE" },
            ],
        );
        let created = self
            .store
            .register_endpoint(
                NewEndpoint {
                    user_seq: user.seq,
                    endpoint_id: validate::new_hex_id(),
                    name,
                    endpoint_type: kind,
                    resource_arn,
                    device_token,
                    voip_device_token: input.voip_device_token,
                    allow_messages: allow,
                    created: self.clock.now(),
                },
                claim,
            )
            .await?;
        let endpoint_id = match created {
            Created::New(record) => record.endpoint_id,
            Created::Replayed { resource_id } => resource_id,
        };
        let user_arn = arn::user_arn(&self.app_instance_arn(&app_instance), &user.user_id);
        Ok((user_arn, endpoint_id))
    }

    pub async fn describe_endpoint(
        &self,
        caller: &Caller,
        user_arn: &str,
        endpoint_id: &str,
    ) -> ChimeResult<EndpointView> {
        self::endpoint_id(endpoint_id)?;
        let (app_instance, user) = self.user(caller, user_arn, "AppInstanceUserArn").await?;
        let endpoint = self
            .store
            .get_endpoint(user.seq, endpoint_id)
            .await?
            .ok_or_else(|| missing_endpoint(user_arn, endpoint_id))?;
        Ok(EndpointView {
            user_arn: arn::user_arn(&self.app_instance_arn(&app_instance), &user.user_id),
            endpoint,
        })
    }

    pub async fn update_endpoint(
        &self,
        caller: &Caller,
        user_arn: &str,
        endpoint_id: &str,
        input: UpdateEndpointInput,
    ) -> ChimeResult<(String, String)> {
        self::endpoint_id(endpoint_id)?;
        if let Some(name) = &input.name {
            validate::length(name, "Name", 0, 1600)?;
        }
        let allow = input
            .allow_messages
            .as_deref()
            .map(allow_messages)
            .transpose()?;
        let (app_instance, user) = self.user(caller, user_arn, "AppInstanceUserArn").await?;
        let update = EndpointUpdate {
            name: input.name,
            allow_messages: allow,
        };
        let endpoint = self
            .store
            .update_endpoint(user.seq, endpoint_id, &update, self.clock.now())
            .await?
            .ok_or_else(|| missing_endpoint(user_arn, endpoint_id))?;
        Ok((
            arn::user_arn(&self.app_instance_arn(&app_instance), &user.user_id),
            endpoint.endpoint_id,
        ))
    }

    pub async fn list_endpoints(
        &self,
        caller: &Caller,
        user_arn: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ChimeResult<Page<EndpointView>> {
        let limit = validate::max_results(max_results)?;
        let (app_instance, user) = self.user(caller, user_arn, "AppInstanceUserArn").await?;
        let scope = TokenScope::new("ListAppInstanceUserEndpoints", &user_arn);
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows = self
            .store
            .list_endpoints(user.seq, after, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| row.seq);
        let user_arn = arn::user_arn(&self.app_instance_arn(&app_instance), &user.user_id);
        Ok(page.map(|endpoint| EndpointView {
            user_arn: user_arn.clone(),
            endpoint,
        }))
    }

    pub async fn deregister_endpoint(
        &self,
        caller: &Caller,
        user_arn: &str,
        endpoint_id: &str,
    ) -> ChimeResult<()> {
        self::endpoint_id(endpoint_id)?;
        let (_, user) = self.user(caller, user_arn, "AppInstanceUserArn").await?;
        if !self
            .store
            .deregister_endpoint(user.seq, endpoint_id)
            .await?
        {
            return Err(missing_endpoint(user_arn, endpoint_id));
        }
        Ok(())
    }
}

fn missing_endpoint(user_arn: &str, endpoint_id: &str) -> super::ChimeError {
    not_found(format!(
        "Endpoint {endpoint_id} of AppInstanceUser {user_arn} was not found."
    ))
}
