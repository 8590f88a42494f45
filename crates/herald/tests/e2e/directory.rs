//! Instances, users and tags.

use std::collections::HashMap;

use crate::common::*;
use aws_sdk_connect::types::{
    AfterContactWorkConfig, AfterContactWorkConfigPerChannel, AutoAcceptConfig, Channel,
    DirectoryType, InstanceStatus, LocaleCode, PersistentConnectionConfig, PhoneType,
    UserIdentityInfo, UserPhoneConfig, VoiceEnhancementConfig, VoiceEnhancementMode,
};

fn uuid_like() -> String {
    // Any well-formed id nobody created.
    "00000000-0000-4000-8000-000000000000".to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_and_describe_instance_echoes_members() {
    let server = Server::start().await;
    let client = server.client();
    let before = now().as_secs_f64();
    let out = ok(client
        .create_instance()
        .identity_management_type(DirectoryType::ConnectManaged)
        .instance_alias("e2e-alias-1")
        .inbound_calls_enabled(true)
        .outbound_calls_enabled(false)
        .tags("team", "ops")
        .tags("env", "test")
        .send()
        .await);
    let after = now().as_secs_f64();
    let id = out.id().expect("Id").to_string();
    assert!(is_uuid(&id), "instance id is not a UUID: {id}");
    assert_eq!(
        out.arn(),
        Some(format!("arn:aws:connect:{REGION}:{ACCOUNT}:instance/{id}").as_str())
    );

    let described = ok(client.describe_instance().instance_id(&id).send().await);
    let inst = described.instance().expect("Instance");
    assert_eq!(inst.id(), Some(id.as_str()));
    assert_eq!(inst.arn(), out.arn());
    assert_eq!(
        inst.identity_management_type(),
        Some(&DirectoryType::ConnectManaged)
    );
    assert_eq!(inst.instance_alias(), Some("e2e-alias-1"));
    assert_eq!(inst.instance_status(), Some(&InstanceStatus::Active));
    assert_eq!(inst.inbound_calls_enabled(), Some(true));
    assert_eq!(inst.outbound_calls_enabled(), Some(false));
    let created = inst.created_time().expect("CreatedTime").as_secs_f64();
    assert!(
        created >= before - 2.0 && created <= after + 2.0,
        "CreatedTime {created} not within [{before}, {after}]"
    );
    let tags = inst.tags().expect("Tags");
    assert_eq!(
        tags,
        &HashMap::from([
            ("team".to_string(), "ops".to_string()),
            ("env".to_string(), "test".to_string())
        ])
    );

    // A second instance with the other flags: the echo is not a constant.
    let out2 = ok(client
        .create_instance()
        .identity_management_type(DirectoryType::Saml)
        .inbound_calls_enabled(false)
        .outbound_calls_enabled(true)
        .send()
        .await);
    assert_ne!(out2.id(), out.id());
    let inst2 = ok(client
        .describe_instance()
        .instance_id(out2.id().unwrap())
        .send()
        .await);
    let inst2 = inst2.instance().unwrap();
    assert_eq!(inst2.identity_management_type(), Some(&DirectoryType::Saml));
    assert_eq!(inst2.inbound_calls_enabled(), Some(false));
    assert_eq!(inst2.outbound_calls_enabled(), Some(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_instances_pages_oldest_first() {
    let server = Server::start().await;
    let client = server.client();
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(create_instance(&client).await.id);
    }

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = ok(client
            .list_instances()
            .max_results(1)
            .set_next_token(token.clone())
            .send()
            .await);
        pages += 1;
        assert!(
            out.instance_summary_list().len() <= 1,
            "MaxResults 1 returned {} items",
            out.instance_summary_list().len()
        );
        for s in out.instance_summary_list() {
            seen.push(s.id().unwrap().to_string());
            assert_eq!(s.instance_status(), Some(&InstanceStatus::Active));
            assert_eq!(
                s.arn(),
                Some(
                    format!(
                        "arn:aws:connect:{REGION}:{ACCOUNT}:instance/{}",
                        s.id().unwrap()
                    )
                    .as_str()
                )
            );
        }
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(
        seen, created,
        "ListInstances must return every instance once, oldest first"
    );

    // Without MaxResults everything comes in one page.
    let all = ok(client.list_instances().send().await);
    let ids: Vec<_> = all
        .instance_summary_list()
        .iter()
        .map(|s| s.id().unwrap().to_string())
        .collect();
    assert_eq!(ids, created);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_instances_max_results_out_of_range() {
    let server = Server::start().await;
    let client = server.client();
    create_instance(&client).await;
    for bad in [0, 11, -1] {
        let err = assert_err(
            client.list_instances().max_results(bad).send().await,
            "InvalidParameterException",
            400,
        );
        assert!(
            !err.message.is_empty(),
            "error without message for MaxResults {bad}"
        );
    }
    assert_eq!(
        ok(client.list_instances().max_results(10).send().await)
            .instance_summary_list()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_instance_removes_everything_in_it() {
    let server = Server::start().await;
    let client = server.client();
    let keep = create_instance(&client).await;
    let keep_user = create_user(&client, &keep.id, "keeper").await;
    let keep_note = notify(&client, &keep.id, &[&keep_user.arn], "kept").await;

    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let note = notify(&client, &inst.id, &[&user.arn], "hello").await;

    ok(client.delete_instance().instance_id(&inst.id).send().await);

    assert_err(
        client
            .describe_instance()
            .instance_id(&inst.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .describe_user()
            .instance_id(&inst.id)
            .user_id(&user.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client.list_users().instance_id(&inst.id).send().await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .list_notifications()
            .instance_id(&inst.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .describe_notification()
            .instance_id(&inst.id)
            .notification_id(&note.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .list_user_notifications()
            .instance_id(&inst.id)
            .user_id(&user.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .list_tags_for_resource()
            .resource_arn(&note.arn)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    // Deleting twice: it is gone.
    assert_err(
        client.delete_instance().instance_id(&inst.id).send().await,
        "ResourceNotFoundException",
        404,
    );
    let listed: Vec<_> = ok(client.list_instances().send().await)
        .instance_summary_list()
        .iter()
        .map(|s| s.id().unwrap().to_string())
        .collect();
    assert_eq!(listed, vec![keep.id.clone()]);

    // The other instance is untouched.
    ok(client
        .describe_user()
        .instance_id(&keep.id)
        .user_id(&keep_user.id)
        .send()
        .await);
    assert_eq!(
        list_notification_ids(&client, &keep.id).await,
        vec![keep_note.id.clone()]
    );
    assert_eq!(
        user_notification_ids(&client, &keep.id, &keep_user.id).await,
        vec![keep_note.id]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_and_describe_user_echoes_members_but_never_password() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let password = "Sup3rSecretPassw0rd";
    let before = now().as_secs_f64();
    let out = ok(client
        .create_user()
        .instance_id(&inst.id)
        .username("jdoe")
        .password(password)
        .identity_info(
            UserIdentityInfo::builder()
                .first_name("Jane")
                .last_name("Doe")
                .email("jane@example.com")
                .secondary_email("jane.doe@example.org")
                .mobile("+15555550100")
                .build(),
        )
        .phone_config(
            UserPhoneConfig::builder()
                .phone_type(PhoneType::DeskPhone)
                .auto_accept(true)
                .after_contact_work_time_limit(30)
                .desk_phone_number("+15555550199")
                .build(),
        )
        .security_profile_ids("sp-1")
        .security_profile_ids("sp-2")
        .routing_profile_id("rp-1")
        .hierarchy_group_id("hg-1")
        .tags("dept", "support")
        .send()
        .await);
    let after = now().as_secs_f64();
    let user_id = out.user_id().expect("UserId").to_string();
    assert!(is_uuid(&user_id), "user id is not a UUID: {user_id}");
    assert_eq!(
        out.user_arn(),
        Some(format!("{}/agent/{user_id}", inst.arn).as_str())
    );

    let capture = BodyCapture::default();
    let described = ok(client
        .describe_user()
        .instance_id(&inst.id)
        .user_id(&user_id)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await);
    let body = capture.body();
    assert!(
        !body.contains(password),
        "DescribeUser leaked the password: {body}"
    );
    assert!(
        !body.contains("Password"),
        "DescribeUser has a Password member: {body}"
    );

    let user = described.user().expect("User");
    assert_eq!(user.id(), Some(user_id.as_str()));
    assert_eq!(user.arn(), out.user_arn());
    assert_eq!(user.username(), Some("jdoe"));
    let info = user.identity_info().expect("IdentityInfo");
    assert_eq!(info.first_name(), Some("Jane"));
    assert_eq!(info.last_name(), Some("Doe"));
    assert_eq!(info.email(), Some("jane@example.com"));
    assert_eq!(info.secondary_email(), Some("jane.doe@example.org"));
    assert_eq!(info.mobile(), Some("+15555550100"));
    let phone = user.phone_config().expect("PhoneConfig");
    assert_eq!(phone.phone_type(), &PhoneType::DeskPhone);
    assert!(phone.auto_accept());
    assert_eq!(phone.after_contact_work_time_limit(), 30);
    assert_eq!(phone.desk_phone_number(), Some("+15555550199"));
    assert_eq!(
        user.security_profile_ids(),
        ["sp-1".to_string(), "sp-2".to_string()]
    );
    assert_eq!(user.routing_profile_id(), Some("rp-1"));
    assert_eq!(user.hierarchy_group_id(), Some("hg-1"));
    assert_eq!(
        user.tags(),
        Some(&HashMap::from([(
            "dept".to_string(),
            "support".to_string()
        )]))
    );
    assert_eq!(user.last_modified_region(), Some(REGION));
    let lmt = user
        .last_modified_time()
        .expect("LastModifiedTime")
        .as_secs_f64();
    assert!(
        lmt >= before - 2.0 && lmt <= after + 2.0,
        "LastModifiedTime {lmt}"
    );

    // ListUsers also never carries the password.
    let capture = BodyCapture::default();
    ok(client
        .list_users()
        .instance_id(&inst.id)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await);
    assert!(
        !capture.body().contains(password),
        "ListUsers leaked the password"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_user_echoes_channel_configs() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let auto_accept = AutoAcceptConfig::builder()
        .channel(Channel::Voice)
        .auto_accept(true)
        .build()
        .unwrap();
    let acw = AfterContactWorkConfigPerChannel::builder()
        .channel(Channel::Chat)
        .after_contact_work_config(
            AfterContactWorkConfig::builder()
                .after_contact_work_time_limit(45)
                .build(),
        )
        .build()
        .unwrap();
    let persistent = PersistentConnectionConfig::builder()
        .channel(Channel::Voice)
        .persistent_connection(true)
        .build()
        .unwrap();
    let voice = VoiceEnhancementConfig::builder()
        .channel(Channel::Voice)
        .voice_enhancement_mode(VoiceEnhancementMode::NoiseSuppression)
        .build()
        .unwrap();
    let out = ok(client
        .create_user()
        .instance_id(&inst.id)
        .username("channels")
        .directory_user_id("dir-user-42")
        .security_profile_ids("sp-1")
        .routing_profile_id("rp-1")
        .auto_accept_configs(auto_accept.clone())
        .after_contact_work_configs(acw.clone())
        .persistent_connection_configs(persistent.clone())
        .voice_enhancement_configs(voice.clone())
        .send()
        .await);
    let described = ok(client
        .describe_user()
        .instance_id(&inst.id)
        .user_id(out.user_id().unwrap())
        .send()
        .await);
    let u = described.user().expect("User");
    assert_eq!(u.directory_user_id(), Some("dir-user-42"));
    assert_eq!(u.auto_accept_configs(), std::slice::from_ref(&auto_accept));
    assert_eq!(u.after_contact_work_configs(), std::slice::from_ref(&acw));
    assert_eq!(
        u.persistent_connection_configs(),
        std::slice::from_ref(&persistent)
    );
    assert_eq!(u.voice_enhancement_configs(), std::slice::from_ref(&voice));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_duplicate_usernames_create_exactly_one() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (client, inst_id) = (client.clone(), inst.id.clone());
        tasks.spawn(async move {
            client
                .create_user()
                .instance_id(&inst_id)
                .username("racer")
                .security_profile_ids("sp-1")
                .routing_profile_id("rp-1")
                .send()
                .await
        });
    }
    let (mut created, mut conflicts) = (0, 0);
    while let Some(res) = tasks.join_next().await {
        match res.expect("task") {
            Ok(_) => created += 1,
            Err(e) => {
                let err = api_error(&e);
                assert_eq!(
                    (err.code.as_str(), err.status),
                    ("DuplicateResourceException", 409),
                    "{err:?}"
                );
                conflicts += 1;
            }
        }
    }
    assert_eq!((created, conflicts), (1, 11));
    let listed = ok(client.list_users().instance_id(&inst.id).send().await);
    assert_eq!(listed.user_summary_list().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_minimal_user_has_no_invented_members() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "minimal").await;
    let out = ok(client
        .describe_user()
        .instance_id(&inst.id)
        .user_id(&user.id)
        .send()
        .await);
    let u = out.user().expect("User");
    assert_eq!(u.username(), Some("minimal"));
    assert_eq!(u.security_profile_ids(), ["sp-1".to_string()]);
    assert_eq!(u.routing_profile_id(), Some("rp-1"));
    assert_eq!(u.arn(), Some(user.arn.as_str()));
    assert!(u.last_modified_time().is_some());
    assert_eq!(u.last_modified_region(), Some(REGION));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_oldest_first_with_summary_members() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let other = create_instance(&client).await;
    create_user(&client, &other.id, "elsewhere").await;
    let users = create_users(&client, &inst.id, 4).await;

    let out = ok(client.list_users().instance_id(&inst.id).send().await);
    let list = out.user_summary_list();
    assert_eq!(list.len(), 4, "{list:?}");
    for (summary, user) in list.iter().zip(&users) {
        assert_eq!(summary.id(), Some(user.id.as_str()));
        assert_eq!(summary.arn(), Some(user.arn.as_str()));
        assert_eq!(summary.username(), Some(user.username.as_str()));
        assert!(summary.last_modified_time().is_some(), "{summary:?}");
        assert_eq!(summary.last_modified_region(), Some(REGION));
    }
    assert!(out.next_token().is_none());

    // MaxResults bounds 1–1000.
    for bad in [0, 1001] {
        assert_err(
            client
                .list_users()
                .instance_id(&inst.id)
                .max_results(bad)
                .send()
                .await,
            "InvalidParameterException",
            400,
        );
    }
    let page = ok(client
        .list_users()
        .instance_id(&inst.id)
        .max_results(1000)
        .send()
        .await);
    assert_eq!(page.user_summary_list().len(), 4);
    let page = ok(client
        .list_users()
        .instance_id(&inst.id)
        .max_results(3)
        .send()
        .await);
    assert_eq!(page.user_summary_list().len(), 3);
    assert!(page.next_token().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_username_is_409_within_an_instance_only() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let other = create_instance(&client).await;
    let first = create_user(&client, &inst.id, "alice").await;

    let err = assert_err(
        client
            .create_user()
            .instance_id(&inst.id)
            .username("alice")
            .security_profile_ids("sp-9")
            .routing_profile_id("rp-9")
            .send()
            .await,
        "DuplicateResourceException",
        409,
    );
    assert!(!err.message.is_empty());
    let listed = ok(client.list_users().instance_id(&inst.id).send().await);
    assert_eq!(listed.user_summary_list().len(), 1);
    assert_eq!(listed.user_summary_list()[0].id(), Some(first.id.as_str()));

    // The same name in another instance is fine.
    let elsewhere = create_user(&client, &other.id, "alice").await;
    assert_ne!(elsewhere.id, first.id);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_user_constraints() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;

    let base = || {
        client
            .create_user()
            .instance_id(&inst.id)
            .routing_profile_id("rp-1")
    };

    // Username 1–100 characters.
    let long_name = "u".repeat(101);
    for (name, member) in [(long_name.as_str(), "Username"), ("", "Username")] {
        let err = assert_err(
            base()
                .username(name)
                .security_profile_ids("sp-1")
                .send()
                .await,
            "InvalidParameterException",
            400,
        );
        assert!(
            err.message.contains(member),
            "message should name {member}: {err:?}"
        );
    }
    // SecurityProfileIds 1–10 entries.
    let err = assert_err(
        base()
            .username("nosp")
            .set_security_profile_ids(Some(vec![]))
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    assert!(err.message.contains("SecurityProfileIds"), "{err:?}");
    let eleven: Vec<String> = (0..11).map(|i| format!("sp-{i}")).collect();
    let err = assert_err(
        base()
            .username("toomanysp")
            .set_security_profile_ids(Some(eleven))
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    assert!(err.message.contains("SecurityProfileIds"), "{err:?}");
    // Missing required members.
    assert_err(
        base().security_profile_ids("sp-1").send().await,
        "InvalidParameterException",
        400,
    );
    assert_err(
        client
            .create_user()
            .instance_id(&inst.id)
            .username("norp")
            .security_profile_ids("sp-1")
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    // None of that created anything.
    assert!(
        ok(client.list_users().instance_id(&inst.id).send().await)
            .user_summary_list()
            .is_empty()
    );

    // The boundaries themselves are accepted.
    let name100 = "n".repeat(100);
    let ten: Vec<String> = (0..10).map(|i| format!("sp-{i}")).collect();
    ok(base()
        .username(&name100)
        .set_security_profile_ids(Some(ten.clone()))
        .send()
        .await);
    let listed = ok(client.list_users().instance_id(&inst.id).send().await);
    assert_eq!(listed.user_summary_list().len(), 1);
    assert_eq!(
        listed.user_summary_list()[0].username(),
        Some(name100.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_user_removes_it() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let alice = create_user(&client, &inst.id, "alice").await;
    let bob = create_user(&client, &inst.id, "bob").await;

    ok(client
        .delete_user()
        .instance_id(&inst.id)
        .user_id(&alice.id)
        .send()
        .await);
    assert_err(
        client
            .describe_user()
            .instance_id(&inst.id)
            .user_id(&alice.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .list_user_notifications()
            .instance_id(&inst.id)
            .user_id(&alice.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .delete_user()
            .instance_id(&inst.id)
            .user_id(&alice.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    let listed: Vec<_> = ok(client.list_users().instance_id(&inst.id).send().await)
        .user_summary_list()
        .iter()
        .map(|u| u.id().unwrap().to_string())
        .collect();
    assert_eq!(listed, vec![bob.id.clone()]);
    // A deleted user's ARN is no longer a valid recipient.
    let err = assert_err(
        client
            .create_notification()
            .instance_id(&inst.id)
            .recipients(&alice.arn)
            .content(LocaleCode::EnUs, "to a ghost")
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    assert!(
        err.message.contains(&alice.arn),
        "message should name the recipient: {err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_instance_or_user_is_404() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let ghost = uuid_like();

    assert_err(
        client.describe_instance().instance_id(&ghost).send().await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client.delete_instance().instance_id(&ghost).send().await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .create_user()
            .instance_id(&ghost)
            .username("x")
            .security_profile_ids("sp-1")
            .routing_profile_id("rp-1")
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client.list_users().instance_id(&ghost).send().await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .describe_user()
            .instance_id(&inst.id)
            .user_id(&ghost)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .delete_user()
            .instance_id(&inst.id)
            .user_id(&ghost)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .describe_user()
            .instance_id(&ghost)
            .user_id(&ghost)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    // A user is only found through its own instance.
    let other = create_instance(&client).await;
    let u = create_user(&client, &other.id, "someone").await;
    assert_err(
        client
            .describe_user()
            .instance_id(&inst.id)
            .user_id(&u.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client.list_notifications().instance_id(&ghost).send().await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        client
            .create_notification()
            .instance_id(&ghost)
            .recipients(format!(
                "arn:aws:connect:{REGION}:{ACCOUNT}:instance/{ghost}"
            ))
            .content(LocaleCode::EnUs, "x")
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
}

async fn tags_of(client: &aws_sdk_connect::Client, arn: &str) -> HashMap<String, String> {
    ok(client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await)
    .tags()
    .cloned()
    .unwrap_or_default()
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_untag_list_on_notification_arns() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let out = ok(client
        .create_notification()
        .instance_id(&inst.id)
        .recipients(&user.arn)
        .content(LocaleCode::EnUs, "tagged")
        .tags("a", "1")
        .send()
        .await);
    let arn = out.notification_arn().to_string();
    let other = notify(&client, &inst.id, &[&user.arn], "untagged").await;

    assert_eq!(tags_of(&client, &arn).await, map(&[("a", "1")]));
    assert_eq!(tags_of(&client, &other.arn).await, HashMap::new());

    ok(client
        .tag_resource()
        .resource_arn(&arn)
        .tags("b", "2")
        .send()
        .await);
    assert_eq!(tags_of(&client, &arn).await, map(&[("a", "1"), ("b", "2")]));

    // Tagging an existing key overwrites its value.
    ok(client
        .tag_resource()
        .resource_arn(&arn)
        .tags("a", "3")
        .send()
        .await);
    assert_eq!(tags_of(&client, &arn).await, map(&[("a", "3"), ("b", "2")]));

    // DescribeNotification sees the same tags.
    let described = ok(client
        .describe_notification()
        .instance_id(&inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    assert_eq!(
        described.notification().unwrap().tags(),
        Some(&map(&[("a", "3"), ("b", "2")]))
    );

    ok(client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("a")
        .send()
        .await);
    assert_eq!(tags_of(&client, &arn).await, map(&[("b", "2")]));
    ok(client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("b")
        .send()
        .await);
    assert_eq!(tags_of(&client, &arn).await, HashMap::new());
    let described = ok(client
        .describe_notification()
        .instance_id(&inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    assert!(
        described
            .notification()
            .unwrap()
            .tags()
            .is_none_or(|t| t.is_empty()),
        "tags should be gone"
    );
    // The other notification never changed.
    assert_eq!(tags_of(&client, &other.arn).await, HashMap::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_limits_are_enforced() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let note = notify(&client, &inst.id, &[&user.arn], "limits").await;
    let arn = note.arn.as_str();

    // 51 at once: refused, nothing stored.
    let fifty_one: HashMap<String, String> = (0..51)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    let err = assert_err(
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(fifty_one))
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    assert!(!err.message.is_empty());
    assert!(tags_of(&client, arn).await.is_empty());

    // 50 is the limit …
    let fifty: HashMap<String, String> = (0..50)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    ok(client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(fifty.clone()))
        .send()
        .await);
    assert_eq!(tags_of(&client, arn).await, fifty);
    // … a 51st key is refused, overwriting an existing key is not.
    assert_err(
        client
            .tag_resource()
            .resource_arn(arn)
            .tags("one-more", "x")
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    ok(client
        .tag_resource()
        .resource_arn(arn)
        .tags("k0", "changed")
        .send()
        .await);
    let mut expected = fifty.clone();
    expected.insert("k0".into(), "changed".into());
    assert_eq!(tags_of(&client, arn).await, expected);

    // Bad keys and values, on a notification with room to spare.
    let roomy = notify(&client, &inst.id, &[&user.arn], "roomy").await;
    let k129 = "k".repeat(129);
    let v257 = "v".repeat(257);
    for (k, v) in [
        ("aws:reserved", "x"),
        ("aws:", "x"),
        (k129.as_str(), "x"),
        ("", "x"),
        ("fine", v257.as_str()),
    ] {
        let err = assert_err(
            client
                .tag_resource()
                .resource_arn(&roomy.arn)
                .tags(k, v)
                .send()
                .await,
            "InvalidParameterException",
            400,
        );
        assert!(!err.message.is_empty(), "no message for key {k:?}");
    }
    assert!(tags_of(&client, &roomy.arn).await.is_empty());
    // The boundaries are accepted.
    let k128 = "k".repeat(128);
    let v256 = "v".repeat(256);
    ok(client
        .tag_resource()
        .resource_arn(&roomy.arn)
        .tags(&k128, &v256)
        .tags("empty-value", "")
        .send()
        .await);
    assert_eq!(
        tags_of(&client, &roomy.arn).await,
        map(&[(k128.as_str(), v256.as_str()), ("empty-value", "")])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_on_unknown_or_foreign_arns_are_404() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let note = notify(&client, &inst.id, &[&user.arn], "exists").await;
    let ghost = uuid_like();

    let unknown_notification = format!("{}/notification/{ghost}", inst.arn);
    let unknown_instance = format!(
        "arn:aws:connect:{REGION}:{ACCOUNT}:instance/{ghost}/notification/{}",
        note.id
    );
    let other_account = note.arn.replace(ACCOUNT, "111111111111");
    for arn in [
        unknown_notification.as_str(),
        unknown_instance.as_str(),
        other_account.as_str(),
        inst.arn.as_str(),
        user.arn.as_str(),
    ] {
        assert_err(
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await,
            "ResourceNotFoundException",
            404,
        );
        assert_err(
            client
                .tag_resource()
                .resource_arn(arn)
                .tags("k", "v")
                .send()
                .await,
            "ResourceNotFoundException",
            404,
        );
        assert_err(
            client
                .untag_resource()
                .resource_arn(arn)
                .tag_keys("k")
                .send()
                .await,
            "ResourceNotFoundException",
            404,
        );
    }
    // And the real one was not touched by any of that.
    assert!(tags_of(&client, &note.arn).await.is_empty());
}
