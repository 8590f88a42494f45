//! The Chime route table (Identity and Messaging share the signing name
//! `chime` and one host here): one row per operation, from the models.

use http::Method;

use crate::aws::routing::Route;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChimeOp {
    // Identity
    CreateAppInstance,
    DescribeAppInstance,
    ListAppInstances,
    DeleteAppInstance,
    CreateAppInstanceUser,
    DescribeAppInstanceUser,
    ListAppInstanceUsers,
    DeleteAppInstanceUser,
    CreateAppInstanceAdmin,
    ListAppInstanceAdmins,
    DeleteAppInstanceAdmin,
    RegisterAppInstanceUserEndpoint,
    DescribeAppInstanceUserEndpoint,
    UpdateAppInstanceUserEndpoint,
    ListAppInstanceUserEndpoints,
    DeregisterAppInstanceUserEndpoint,
    // Messaging
    CreateChannel,
    DescribeChannel,
    ListChannels,
    DeleteChannel,
    CreateChannelMembership,
    BatchCreateChannelMembership,
    DescribeChannelMembership,
    ListChannelMemberships,
    DeleteChannelMembership,
    CreateChannelModerator,
    ListChannelModerators,
    DeleteChannelModerator,
    CreateChannelBan,
    DescribeChannelBan,
    ListChannelBans,
    DeleteChannelBan,
    SendChannelMessage,
    GetChannelMessage,
    ListChannelMessages,
    PutChannelMembershipPreferences,
    GetChannelMembershipPreferences,
    /// An operation of the models that Herald does not implement but whose
    /// path one it does implement shares: named, so that it is refused
    /// rather than answered as the other.
    Unimplemented(&'static str),
}

/// Operations told apart from implemented ones only by their query.
const UNIMPLEMENTED: [(&str, &str, &str, &str); 6] = [
    (
        "GET",
        "/channels/{channelArn}",
        "scope",
        "app-instance-user-membership",
    ),
    (
        "GET",
        "/channels/{channelArn}",
        "scope",
        "app-instance-user-moderated-channel",
    ),
    ("GET", "/channels", "scope", "app-instance-user-memberships"),
    (
        "GET",
        "/channels",
        "scope",
        "app-instance-user-moderated-channels",
    ),
    (
        "GET",
        "/channels/{channelArn}/messages/{messageId}",
        "scope",
        "message-status",
    ),
    ("POST", "/channels", "operation", "search"),
];

const UNIMPLEMENTED_NAMES: [&str; 6] = [
    "DescribeChannelMembershipForAppInstanceUser",
    "DescribeChannelModeratedByAppInstanceUser",
    "ListChannelMembershipsForAppInstanceUser",
    "ListChannelsModeratedByAppInstanceUser",
    "GetChannelMessageStatus",
    "SearchChannels",
];

pub fn routes() -> Vec<Route<ChimeOp>> {
    let mut routes = implemented();
    for ((method, pattern, key, value), name) in UNIMPLEMENTED.into_iter().zip(UNIMPLEMENTED_NAMES)
    {
        let method = if method == "POST" {
            Method::POST
        } else {
            Method::GET
        };
        routes.push(Route {
            query: Some((key, value)),
            ..Route::new(method, pattern, ChimeOp::Unimplemented(name))
        });
    }
    routes
}

fn implemented() -> Vec<Route<ChimeOp>> {
    use ChimeOp::*;
    use Method as M;
    vec![
        Route::new(M::POST, "/app-instances", CreateAppInstance),
        Route::new(
            M::GET,
            "/app-instances/{appInstanceArn}",
            DescribeAppInstance,
        ),
        Route::new(M::GET, "/app-instances", ListAppInstances),
        Route::new(
            M::DELETE,
            "/app-instances/{appInstanceArn}",
            DeleteAppInstance,
        ),
        Route::new(M::POST, "/app-instance-users", CreateAppInstanceUser),
        Route::new(
            M::GET,
            "/app-instance-users/{appInstanceUserArn}",
            DescribeAppInstanceUser,
        ),
        Route::new(M::GET, "/app-instance-users", ListAppInstanceUsers),
        Route::new(
            M::DELETE,
            "/app-instance-users/{appInstanceUserArn}",
            DeleteAppInstanceUser,
        ),
        Route::new(
            M::POST,
            "/app-instances/{appInstanceArn}/admins",
            CreateAppInstanceAdmin,
        ),
        Route::new(
            M::GET,
            "/app-instances/{appInstanceArn}/admins",
            ListAppInstanceAdmins,
        ),
        Route::new(
            M::DELETE,
            "/app-instances/{appInstanceArn}/admins/{appInstanceAdminArn}",
            DeleteAppInstanceAdmin,
        ),
        Route::new(
            M::POST,
            "/app-instance-users/{appInstanceUserArn}/endpoints",
            RegisterAppInstanceUserEndpoint,
        ),
        Route::new(
            M::GET,
            "/app-instance-users/{appInstanceUserArn}/endpoints/{endpointId}",
            DescribeAppInstanceUserEndpoint,
        ),
        Route::new(
            M::PUT,
            "/app-instance-users/{appInstanceUserArn}/endpoints/{endpointId}",
            UpdateAppInstanceUserEndpoint,
        ),
        Route::new(
            M::GET,
            "/app-instance-users/{appInstanceUserArn}/endpoints",
            ListAppInstanceUserEndpoints,
        ),
        Route::new(
            M::DELETE,
            "/app-instance-users/{appInstanceUserArn}/endpoints/{endpointId}",
            DeregisterAppInstanceUserEndpoint,
        ),
        Route::new(M::POST, "/channels", CreateChannel),
        Route::new(M::GET, "/channels/{channelArn}", DescribeChannel),
        Route::new(M::GET, "/channels", ListChannels),
        Route::new(M::DELETE, "/channels/{channelArn}", DeleteChannel),
        Route::new(
            M::POST,
            "/channels/{channelArn}/memberships",
            CreateChannelMembership,
        ),
        Route {
            query: Some(("operation", "batch-create")),
            ..Route::new(
                M::POST,
                "/channels/{channelArn}/memberships",
                BatchCreateChannelMembership,
            )
        },
        Route::new(
            M::GET,
            "/channels/{channelArn}/memberships/{memberArn}",
            DescribeChannelMembership,
        ),
        Route::new(
            M::GET,
            "/channels/{channelArn}/memberships",
            ListChannelMemberships,
        ),
        Route::new(
            M::DELETE,
            "/channels/{channelArn}/memberships/{memberArn}",
            DeleteChannelMembership,
        ),
        Route::new(
            M::POST,
            "/channels/{channelArn}/moderators",
            CreateChannelModerator,
        ),
        Route::new(
            M::GET,
            "/channels/{channelArn}/moderators",
            ListChannelModerators,
        ),
        Route::new(
            M::DELETE,
            "/channels/{channelArn}/moderators/{channelModeratorArn}",
            DeleteChannelModerator,
        ),
        Route::new(M::POST, "/channels/{channelArn}/bans", CreateChannelBan),
        Route::new(
            M::GET,
            "/channels/{channelArn}/bans/{memberArn}",
            DescribeChannelBan,
        ),
        Route::new(M::GET, "/channels/{channelArn}/bans", ListChannelBans),
        Route::new(
            M::DELETE,
            "/channels/{channelArn}/bans/{memberArn}",
            DeleteChannelBan,
        ),
        Route::new(
            M::POST,
            "/channels/{channelArn}/messages",
            SendChannelMessage,
        ),
        Route::new(
            M::GET,
            "/channels/{channelArn}/messages/{messageId}",
            GetChannelMessage,
        ),
        Route::new(
            M::GET,
            "/channels/{channelArn}/messages",
            ListChannelMessages,
        ),
        Route::new(
            M::PUT,
            "/channels/{channelArn}/memberships/{memberArn}/preferences",
            PutChannelMembershipPreferences,
        ),
        Route::new(
            M::GET,
            "/channels/{channelArn}/memberships/{memberArn}/preferences",
            GetChannelMembershipPreferences,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::routing::{find, parse_query};

    #[test]
    fn batch_create_is_told_apart_by_its_query() {
        let routes = routes();
        let path = "/channels/arn%3Aaws%3Achime%3Aus-east-1%3A1%3Aapp-instance%2Fa%2Fchannel%2Fc/memberships";
        let batch = parse_query(Some("operation=batch-create"));
        let (route, labels) = find(&routes, &Method::POST, path, &batch)
            .expect("ok")
            .expect("matches");
        assert_eq!(route.op, ChimeOp::BatchCreateChannelMembership);
        assert_eq!(
            labels.get("channelArn"),
            Some("arn:aws:chime:us-east-1:1:app-instance/a/channel/c")
        );
        let (route, _) = find(&routes, &Method::POST, path, &[])
            .expect("ok")
            .expect("matches");
        assert_eq!(route.op, ChimeOp::CreateChannelMembership);
    }

    #[test]
    fn unimplemented_operations_on_shared_paths_are_not_taken_for_others() {
        let routes = routes();
        let search = parse_query(Some("operation=search"));
        let (route, _) = find(&routes, &Method::POST, "/channels", &search)
            .expect("ok")
            .expect("matches");
        assert_eq!(route.op, ChimeOp::Unimplemented("SearchChannels"));
        let scope = parse_query(Some(
            "scope=app-instance-user-membership&app-instance-user-arn=x",
        ));
        let (route, _) = find(&routes, &Method::GET, "/channels/c", &scope)
            .expect("ok")
            .expect("matches");
        assert_eq!(
            route.op,
            ChimeOp::Unimplemented("DescribeChannelMembershipForAppInstanceUser")
        );
    }

    #[test]
    fn preferences_and_membership_paths_do_not_collide() {
        let routes = routes();
        let base = "/channels/c/memberships/m";
        let op = |method: Method, path: &str| {
            find(&routes, &method, path, &[])
                .expect("ok")
                .map(|(route, _)| route.op)
        };
        assert_eq!(
            op(Method::GET, base),
            Some(ChimeOp::DescribeChannelMembership)
        );
        assert_eq!(
            op(Method::GET, &format!("{base}/preferences")),
            Some(ChimeOp::GetChannelMembershipPreferences)
        );
        assert_eq!(
            op(Method::PUT, &format!("{base}/preferences")),
            Some(ChimeOp::PutChannelMembershipPreferences)
        );
        assert_eq!(op(Method::PUT, base), None);
    }
}
