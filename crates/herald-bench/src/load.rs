//! Loading the data set over HTTP: instances, users, direct and
//! instance-wide notifications with tags, and some users' statuses.

use std::sync::Arc;

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::Args;
use crate::client::Client;
use crate::pool::concurrently;
use crate::rng::Rng;

pub struct Instance {
    pub id: String,
    pub arn: String,
    /// Its instance-wide notifications, which every user of it receives
    /// (kept once here, not copied to each user: 1 % of a million
    /// notifications times 100 thousand users would not fit in memory).
    pub broadcasts: Vec<String>,
}

pub struct User {
    pub instance: usize,
    pub id: String,
    pub arn: String,
    /// The notifications sent to this user directly; the user also
    /// receives their instance's `broadcasts`.
    pub direct: Vec<String>,
}

impl User {
    /// How many notifications the user receives, directly or through
    /// `instance`.
    pub fn received(&self, instance: &Instance) -> usize {
        self.direct.len() + instance.broadcasts.len()
    }

    /// The `index`th of them (below [`User::received`]).
    pub fn nth_received<'a>(&'a self, instance: &'a Instance, index: usize) -> &'a str {
        match self.direct.get(index) {
            Some(id) => id,
            None => &instance.broadcasts[index - self.direct.len()],
        }
    }
}

pub struct Dataset {
    pub instances: Vec<Instance>,
    pub users: Vec<User>,
    /// Every stored notification: (instance index, notification id).
    pub notifications: Vec<(usize, String)>,
    pub instance_wide: usize,
    pub statuses_set: usize,
}

/// The word `SearchNotifications` looks for: in one notification in ten.
pub const SEARCH_WORD: &str = "failed";

/// The content, priority and tags of the `index`th notification.
pub fn notification_body(index: usize, recipient: &str, broadcast: bool) -> Value {
    let outcome = if index.is_multiple_of(10) {
        SEARCH_WORD
    } else {
        "finished"
    };
    json!({
        "Recipients": [recipient],
        "Priority": if index.is_multiple_of(5) { "HIGH" } else { "LOW" },
        "Content": {
            "en_US": format!("Deploy {index} {outcome} on host-{}", index % 97),
        },
        "Tags": {
            "team": format!("team-{}", index % 4),
            "kind": if broadcast { "broadcast" } else { "direct" },
        },
    })
}

pub async fn load(client: &Client, args: &Args) -> anyhow::Result<Dataset> {
    let client = Arc::new(client.clone());
    let parallel = args.load_concurrency;

    let c = client.clone();
    let mut instances = concurrently(args.instances, parallel, move |_| {
        let c = c.clone();
        async move {
            let body = json!({
                "IdentityManagementType": "CONNECT_MANAGED",
                "InboundCallsEnabled": true,
                "OutboundCallsEnabled": true,
            });
            let reply = c.signed(Method::PUT, "/instance", Some(&body)).await?;
            let v = reply.success("CreateInstance")?.json()?;
            Ok(Instance {
                id: field(&v, "Id")?,
                arn: field(&v, "Arn")?,
                broadcasts: Vec::new(),
            })
        }
    })
    .await?;
    let instance_ids: Arc<Vec<String>> = Arc::new(instances.iter().map(|i| i.id.clone()).collect());

    let c = client.clone();
    let ids = instance_ids.clone();
    let user_count = args.users;
    let mut users = concurrently(user_count, parallel, move |index| {
        let c = c.clone();
        let ids = ids.clone();
        async move {
            let instance = index % ids.len();
            let body = json!({
                "Username": format!("u{index}"),
                "SecurityProfileIds": ["sp-1"],
                "RoutingProfileId": "rp-1",
                "PhoneConfig": {"PhoneType": "SOFT_PHONE"},
            });
            let path = format!("/users/{}", ids[instance]);
            let v = c
                .signed(Method::PUT, &path, Some(&body))
                .await?
                .success("CreateUser")?
                .json()?;
            Ok(User {
                instance,
                id: field(&v, "UserId")?,
                arn: field(&v, "UserArn")?,
                direct: Vec::new(),
            })
        }
    })
    .await?;

    // Every `stride`th notification is instance-wide, round-robin over
    // the instances; the others go to one user each, round-robin.
    let broadcasts = ((args.notifications as f64) * args.instance_wide).round() as usize;
    let stride = args
        .notifications
        .checked_div(broadcasts)
        .map_or(usize::MAX, |stride| stride.max(1));
    let mut plan = Vec::with_capacity(args.notifications); // (broadcast, instance, user)
    let mut next_user = 0;
    let mut made_broadcasts = 0;
    for index in 0..args.notifications {
        if made_broadcasts < broadcasts && index.is_multiple_of(stride) {
            plan.push((true, made_broadcasts % instances.len(), usize::MAX));
            made_broadcasts += 1;
        } else {
            let user = next_user % users.len();
            next_user += 1;
            plan.push((false, users[user].instance, user));
        }
    }
    let plan = Arc::new(plan);
    let recipients: Arc<Vec<String>> = Arc::new(users.iter().map(|u| u.arn.clone()).collect());
    let instance_arns: Arc<Vec<String>> =
        Arc::new(instances.iter().map(|i| i.arn.clone()).collect());
    let c = client.clone();
    let (p, ids, arns, r) = (
        plan.clone(),
        instance_ids.clone(),
        instance_arns,
        recipients,
    );
    let created = concurrently(args.notifications, parallel, move |index| {
        let c = c.clone();
        let (broadcast, instance, user) = p[index];
        let recipient = if broadcast {
            arns[instance].clone()
        } else {
            r[user].clone()
        };
        let path = format!("/notifications/{}", ids[instance]);
        async move {
            let body = notification_body(index, &recipient, broadcast);
            let v = c
                .signed(Method::PUT, &path, Some(&body))
                .await?
                .success("CreateNotification")?
                .json()?;
            field(&v, "NotificationId")
        }
    })
    .await?;

    let mut notifications = Vec::with_capacity(created.len());
    let mut updates = Vec::new(); // (instance id, user id, notification id, status)
    let mut rng = Rng::new(7);
    for (index, id) in created.iter().enumerate() {
        let (broadcast, instance, user) = plan[index];
        notifications.push((instance, id.clone()));
        if broadcast {
            instances[instance].broadcasts.push(id.clone());
        } else {
            users[user].direct.push(id.clone());
            let draw = rng.unit();
            let status = if draw < args.read {
                Some("READ")
            } else if draw < args.read + args.hidden {
                Some("HIDDEN")
            } else {
                None
            };
            if let Some(status) = status {
                updates.push((
                    instance_ids[instance].clone(),
                    users[user].id.clone(),
                    id.clone(),
                    status,
                ));
            }
        }
    }
    let statuses_set = updates.len();
    let updates = Arc::new(updates);
    let c = client.clone();
    let u = updates.clone();
    concurrently(updates.len(), parallel, move |index| {
        let c = c.clone();
        let (instance, user, notification, status) = u[index].clone();
        async move {
            let path = format!("/users/{instance}/{user}/notifications/{notification}");
            c.signed(Method::POST, &path, Some(&json!({ "Status": status })))
                .await?
                .success("UpdateUserNotificationStatus")?;
            Ok(())
        }
    })
    .await?;

    Ok(Dataset {
        instances,
        users,
        notifications,
        instance_wide: made_broadcasts,
        statuses_set,
    })
}

fn field(value: &Value, name: &str) -> anyhow::Result<String> {
    value[name]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no {name} in {value}"))
}
