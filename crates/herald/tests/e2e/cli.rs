//! How the binary is started and configured.

use std::time::Duration;

use crate::common::*;
use aws_sdk_connect::types::LocaleCode;

/// `herald` with no arguments at all serves, configured by the environment.
#[tokio::test(flavor = "multi_thread")]
async fn serve_is_the_default_subcommand() {
    let server = Server::launch(Launch {
        serve_subcommand: false,
        listen_and_data_dir_via_env: true,
        ..Launch::default()
    })
    .await;
    let client = server.client();
    let inst = create_instance(&client).await;
    ok(client
        .describe_instance()
        .instance_id(&inst.id)
        .send()
        .await);
    let resp = server
        .http()
        .get(format!("{}/_herald/health", server.endpoint()))
        .send()
        .await
        .expect("health");
    assert_eq!(resp.status().as_u16(), 200);
    // The data really went to HERALD_DATA_DIR: it survives a restart.
    let mut server = server;
    server.restart().await;
    let client = server.client();
    ok(client
        .describe_instance()
        .instance_id(&inst.id)
        .send()
        .await);
    // On PostgreSQL the data went to HERALD_DATABASE_URL instead.
    if backend() == Backend::Sqlite {
        assert!(
            std::fs::read_dir(server.data_dir())
                .unwrap()
                .next()
                .is_some(),
            "nothing was written to HERALD_DATA_DIR"
        );
    }
}

/// `herald --listen … --data-dir …` (flags, no subcommand) also serves.
#[tokio::test(flavor = "multi_thread")]
async fn serve_flags_work_without_the_subcommand() {
    let server = Server::launch(Launch {
        serve_subcommand: false,
        args: vec!["--region".into(), "eu-central-1".into()],
        ..Launch::default()
    })
    .await;
    let client = server.client_in("eu-central-1");
    let inst = create_instance(&client).await;
    assert!(
        inst.arn.starts_with("arn:aws:connect:eu-central-1:"),
        "{}",
        inst.arn
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn region_and_account_flags_shape_arns() {
    let server =
        Server::start_with(&["--region", "eu-west-1", "--account-id", "123456789012"]).await;
    let client = server.client_in("eu-west-1");
    let inst = create_instance(&client).await;
    assert_eq!(
        inst.arn,
        format!(
            "arn:aws:connect:eu-west-1:123456789012:instance/{}",
            inst.id
        )
    );
    let user = create_user(&client, &inst.id, "alice").await;
    assert_eq!(user.arn, format!("{}/agent/{}", inst.arn, user.id));
    let described = ok(client
        .describe_user()
        .instance_id(&inst.id)
        .user_id(&user.id)
        .send()
        .await);
    assert_eq!(
        described.user().unwrap().last_modified_region(),
        Some("eu-west-1")
    );

    let note = notify(&client, &inst.id, &[&user.arn], "regional").await;
    assert_eq!(note.arn, format!("{}/notification/{}", inst.arn, note.id));
    let n = ok(client
        .describe_notification()
        .instance_id(&inst.id)
        .notification_id(&note.id)
        .send()
        .await);
    assert_eq!(
        n.notification().unwrap().last_modified_region(),
        Some("eu-west-1")
    );
    ok(client
        .tag_resource()
        .resource_arn(&note.arn)
        .tags("k", "v")
        .send()
        .await);

    // The default-region/account spelling of the same user is not this
    // instance's user.
    let foreign = format!(
        "arn:aws:connect:{REGION}:{ACCOUNT}:instance/{}/agent/{}",
        inst.id, user.id
    );
    let err = assert_err(
        client
            .create_notification()
            .instance_id(&inst.id)
            .recipients(&foreign)
            .content(LocaleCode::EnUs, "x")
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    assert!(err.message.contains(&foreign), "{err:?}");
    let foreign_note = format!(
        "arn:aws:connect:{REGION}:{ACCOUNT}:instance/{}/notification/{}",
        inst.id, note.id
    );
    assert_err(
        client
            .list_tags_for_resource()
            .resource_arn(&foreign_note)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_variables_configure_the_server() {
    let env = [
        ("HERALD_REGION", "ap-southeast-2"),
        ("HERALD_ACCOUNT_ID", "222222222222"),
        ("HERALD_SWEEP_INTERVAL_SECONDS", "1"),
        ("HERALD_EXPIRY_GRACE_SECONDS", "0"),
    ];
    let server = Server::launch(Launch {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Launch::default()
    })
    .await;
    let client = server.client_in("ap-southeast-2");
    let inst = create_instance(&client).await;
    assert_eq!(
        inst.arn,
        format!(
            "arn:aws:connect:ap-southeast-2:222222222222:instance/{}",
            inst.id
        )
    );
    let user = create_user(&client, &inst.id, "alice").await;
    let out = ok(client
        .create_notification()
        .instance_id(&inst.id)
        .recipients(&user.arn)
        .content(LocaleCode::EnUs, "brief")
        .expires_at(secs_from_now(1.5))
        .send()
        .await);
    let id = out.notification_id().to_string();
    // Swept quickly: the interval and grace came from the environment.
    eventually(
        Duration::from_secs(30),
        "the sweeper configured by env",
        || {
            let (client, inst_id, id) = (client.clone(), inst.id.clone(), id.clone());
            async move {
                match client
                    .describe_notification()
                    .instance_id(&inst_id)
                    .notification_id(&id)
                    .send()
                    .await
                {
                    Ok(_) => None,
                    Err(e) => {
                        let err = api_error(&e);
                        assert_eq!(err.code, "ResourceNotFoundException", "{err:?}");
                        Some(())
                    }
                }
            }
        },
    )
    .await;
}
