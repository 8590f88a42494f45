//! The Connect route table: one row per operation, from the service model.

use http::Method;

use crate::aws::routing::Route;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectOp {
    CreateNotification,
    DescribeNotification,
    ListNotifications,
    SearchNotifications,
    UpdateNotificationContent,
    DeleteNotification,
    ListUserNotifications,
    UpdateUserNotificationStatus,
    CreateInstance,
    DescribeInstance,
    ListInstances,
    DeleteInstance,
    CreateUser,
    DescribeUser,
    ListUsers,
    DeleteUser,
    TagResource,
    UntagResource,
    ListTagsForResource,
}

pub fn routes() -> Vec<Route<ConnectOp>> {
    use ConnectOp::*;
    vec![
        Route::new(
            Method::PUT,
            "/notifications/{InstanceId}",
            CreateNotification,
        ),
        Route::new(
            Method::GET,
            "/notifications/{InstanceId}/{NotificationId}",
            DescribeNotification,
        ),
        Route::new(
            Method::GET,
            "/notifications/{InstanceId}",
            ListNotifications,
        ),
        Route::new(Method::POST, "/search-notifications", SearchNotifications),
        Route::new(
            Method::POST,
            "/notifications/{InstanceId}/{NotificationId}",
            UpdateNotificationContent,
        ),
        Route::new(
            Method::DELETE,
            "/notifications/{InstanceId}/{NotificationId}",
            DeleteNotification,
        ),
        Route::new(
            Method::GET,
            "/users/{InstanceId}/{UserId}/notifications",
            ListUserNotifications,
        ),
        Route::new(
            Method::POST,
            "/users/{InstanceId}/{UserId}/notifications/{NotificationId}",
            UpdateUserNotificationStatus,
        ),
        Route::new(Method::PUT, "/instance", CreateInstance),
        Route::new(Method::GET, "/instance/{InstanceId}", DescribeInstance),
        Route::new(Method::GET, "/instance", ListInstances),
        Route::new(Method::DELETE, "/instance/{InstanceId}", DeleteInstance),
        Route::new(Method::PUT, "/users/{InstanceId}", CreateUser),
        Route::new(Method::GET, "/users/{InstanceId}/{UserId}", DescribeUser),
        Route::new(Method::GET, "/users-summary/{InstanceId}", ListUsers),
        Route::new(Method::DELETE, "/users/{InstanceId}/{UserId}", DeleteUser),
        Route::new(Method::POST, "/tags/{resourceArn}", TagResource),
        Route::new(Method::DELETE, "/tags/{resourceArn}", UntagResource),
        Route::new(Method::GET, "/tags/{resourceArn}", ListTagsForResource),
    ]
}
