//! Chime ARNs as AWS forms them:
//! `arn:aws:chime:{region}:{account}:app-instance/{id}`, with
//! `/user/{userId}` or `/channel/{channelId}` below it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChimeResource<'a> {
    AppInstance {
        app_instance_id: &'a str,
    },
    User {
        app_instance_id: &'a str,
        user_id: &'a str,
    },
    Channel {
        app_instance_id: &'a str,
        channel_id: &'a str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChimeArn<'a> {
    pub region: &'a str,
    pub account_id: &'a str,
    pub resource: ChimeResource<'a>,
}

pub fn app_instance_arn(region: &str, account_id: &str, app_instance_id: &str) -> String {
    format!("arn:aws:chime:{region}:{account_id}:app-instance/{app_instance_id}")
}

// `concat` sizes the string once; a push decides one member ARN per
// recipient, and `format!` grew each by reallocating.
pub fn user_arn(app_instance_arn: &str, user_id: &str) -> String {
    [app_instance_arn, "/user/", user_id].concat()
}

pub fn channel_arn(app_instance_arn: &str, channel_id: &str) -> String {
    [app_instance_arn, "/channel/", channel_id].concat()
}

/// Reads a Chime ARN; anything else (another service, an unknown resource
/// kind, empty ids, extra segments) is `None`.
pub fn parse(arn: &str) -> Option<ChimeArn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("chime"), Some(region), Some(account_id), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let rest = rest.strip_prefix("app-instance/")?;
    let mut segments = rest.split('/');
    let app_instance_id = segments.next().filter(|s| !s.is_empty())?;
    let resource = match (segments.next(), segments.next(), segments.next()) {
        (None, _, _) => ChimeResource::AppInstance { app_instance_id },
        (Some("user"), Some(user_id), None) if !user_id.is_empty() => ChimeResource::User {
            app_instance_id,
            user_id,
        },
        (Some("channel"), Some(channel_id), None) if !channel_id.is_empty() => {
            ChimeResource::Channel {
                app_instance_id,
                channel_id,
            }
        }
        _ => return None,
    };
    Some(ChimeArn {
        region,
        account_id,
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_reads_each_kind() {
        let app = app_instance_arn("us-east-1", "111122223333", "a-1");
        assert_eq!(app, "arn:aws:chime:us-east-1:111122223333:app-instance/a-1");
        let parsed = parse(&app).expect("app instance");
        assert_eq!(parsed.region, "us-east-1");
        assert_eq!(parsed.account_id, "111122223333");
        assert_eq!(
            parsed.resource,
            ChimeResource::AppInstance {
                app_instance_id: "a-1"
            }
        );
        let user = user_arn(&app, "u:1@x");
        assert_eq!(
            parse(&user).expect("user").resource,
            ChimeResource::User {
                app_instance_id: "a-1",
                user_id: "u:1@x"
            }
        );
        let channel = channel_arn(&app, "c1");
        assert_eq!(
            parse(&channel).expect("channel").resource,
            ChimeResource::Channel {
                app_instance_id: "a-1",
                channel_id: "c1"
            }
        );
    }

    #[test]
    fn refuses_other_arns() {
        for arn in [
            "",
            "arn:aws:connect:us-east-1:1:app-instance/a",
            "arn:aws:chime:us-east-1:1:app-instance/",
            "arn:aws:chime:us-east-1:1:app-instance/a/user/",
            "arn:aws:chime:us-east-1:1:app-instance/a/user/u/extra",
            "arn:aws:chime:us-east-1:1:app-instance/a/bot/b",
            "arn:aws:chime:us-east-1:1:meeting/a",
        ] {
            assert_eq!(parse(arn), None, "{arn}");
        }
    }
}
