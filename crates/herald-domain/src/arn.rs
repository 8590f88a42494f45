//! Amazon Connect ARNs as Herald forms and reads them.

pub fn instance_arn(region: &str, account_id: &str, instance_id: &str) -> String {
    format!("arn:aws:connect:{region}:{account_id}:instance/{instance_id}")
}

pub fn user_arn(instance_arn: &str, user_id: &str) -> String {
    format!("{instance_arn}/agent/{user_id}")
}

pub fn notification_arn(instance_arn: &str, notification_id: &str) -> String {
    format!("{instance_arn}/notification/{notification_id}")
}

/// The parts of a notification ARN: `arn:aws:connect:{region}:{account}:
/// instance/{instanceId}/notification/{notificationId}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationArnParts<'a> {
    pub region: &'a str,
    pub account_id: &'a str,
    pub instance_id: &'a str,
    pub notification_id: &'a str,
}

pub fn parse_notification_arn(arn: &str) -> Option<NotificationArnParts<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(_partition),
        Some("connect"),
        Some(region),
        Some(account_id),
        Some(resource),
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return None;
    };
    let (instance_id, rest) = resource.strip_prefix("instance/")?.split_once('/')?;
    let notification_id = rest.strip_prefix("notification/")?;
    if instance_id.is_empty() || notification_id.is_empty() {
        return None;
    }
    Some(NotificationArnParts {
        region,
        account_id,
        instance_id,
        notification_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_arn_round_trips() {
        let instance = instance_arn("us-east-1", "123456789012", "i-1");
        let arn = notification_arn(&instance, "n/1");
        let parts = parse_notification_arn(&arn).expect("parses");
        assert_eq!(parts.region, "us-east-1");
        assert_eq!(parts.account_id, "123456789012");
        assert_eq!(parts.instance_id, "i-1");
        assert_eq!(parts.notification_id, "n/1");
    }

    #[test]
    fn other_arns_are_not_notification_arns() {
        for arn in [
            "",
            "arn:aws:connect:us-east-1:1:instance/i-1",
            "arn:aws:connect:us-east-1:1:instance/i-1/agent/u-1",
            "arn:aws:s3:us-east-1:1:instance/i-1/notification/n",
            "arn:aws:connect:us-east-1:1:instance//notification/n",
            "arn:aws:connect:us-east-1:1:instance/i-1/notification/",
        ] {
            assert_eq!(parse_notification_arn(arn), None, "{arn}");
        }
    }
}
