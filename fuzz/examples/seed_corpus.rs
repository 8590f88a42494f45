//! Writes the seed corpus, fuzz/corpus/<target>/<name>: a few realistic,
//! valid inputs per target, the tokens and the signature made by the real
//! encoders. Run from fuzz/, with run-ci.sh's wrapper and profile:
//! `RUSTC_WRAPPER=$PWD/rustc-sancov cargo run --profile fuzz-ci --example seed_corpus`.
//! The output is committed; rerun it when a format changes.

use std::path::Path;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4::SigningParams;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use herald_domain::live::WidgetGrant;
use herald_fuzz::{ACCESS_KEY, HOST, REGION, SECRET_KEY};

// run-ci.sh builds Herald's crates with libFuzzer's coverage hooks, which
// only libFuzzer defines; linking it (with a target that does nothing)
// lets this ordinary program share those builds. Its own `main` wins.
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});

const APP: &str = "arn:aws:chime:us-east-1:000000000000:app-instance/8c1e2f3a";
const ALICE: &str = "arn:aws:chime:us-east-1:000000000000:app-instance/8c1e2f3a/user/alice";
const BOB: &str = "arn:aws:chime:us-east-1:000000000000:app-instance/8c1e2f3a/user/bob";

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(name), bytes).expect("seed file");
}

/// One body per operation, in the order of request_body's `OPERATIONS`.
fn request_bodies() -> Vec<(&'static str, String)> {
    let search = search_bodies()[1].1.clone();
    vec![
        (
            "CreateNotification",
            r#"{"Recipients":["arn:aws:connect:us-east-1:000000000000:instance/i-1/agent/u-1"],"Priority":"HIGH","Content":{"en_US":"Deploy at **5pm** — see [runbook](https://example.com)","de_DE":"Einsatz um 17 Uhr"},"ExpiresAt":1796130000.5,"Tags":{"team":"ops"},"ClientToken":"3f1c2b9a-1111-4c3e-9b1a-7e5d4c3b2a19"}"#.into(),
        ),
        ("UpdateNotificationContent", r#"{"Content":{"en_US":"Moved to 6pm"}}"#.into()),
        ("UpdateUserNotificationStatus", r#"{"Status":"READ"}"#.into()),
        ("SearchNotifications", search),
        (
            "CreateInstance",
            r#"{"IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"demo","InboundCallsEnabled":true,"OutboundCallsEnabled":true,"Tags":{"env":"dev"}}"#.into(),
        ),
        (
            "CreateUser",
            r#"{"Username":"alice","Password":"Passw0rd!","SecurityProfileIds":["sp-1"],"RoutingProfileId":"rp-1","IdentityInfo":{"FirstName":"Alice","LastName":"Doe"},"PhoneConfig":{"PhoneType":"SOFT_PHONE","AutoAccept":false}}"#.into(),
        ),
        ("TagResource", r#"{"tags":{"team":"ops","env":"prod"}}"#.into()),
        (
            "CreateAppInstance",
            r#"{"Name":"demo","Metadata":"{}","ClientRequestToken":"c-1","Tags":[{"Key":"team","Value":"ops"}]}"#.into(),
        ),
        (
            "CreateAppInstanceUser",
            format!(r#"{{"AppInstanceArn":"{APP}","AppInstanceUserId":"alice","Name":"Alice","ClientRequestToken":"c-2"}}"#),
        ),
        ("CreateAppInstanceAdmin", format!(r#"{{"AppInstanceAdminArn":"{ALICE}"}}"#)),
        (
            "RegisterAppInstanceUserEndpoint",
            r#"{"Name":"phone","Type":"GCM","ResourceArn":"arn:aws:mobiletargeting:us-east-1:000000000000:apps/demo","EndpointAttributes":{"DeviceToken":"bob-phone"},"ClientRequestToken":"c-3","AllowMessages":"ALL"}"#.into(),
        ),
        ("UpdateAppInstanceUserEndpoint", r#"{"Name":"phone","AllowMessages":"NONE"}"#.into()),
        (
            "CreateChannel",
            format!(r#"{{"AppInstanceArn":"{APP}","Name":"standup","Mode":"RESTRICTED","Privacy":"PRIVATE","ClientRequestToken":"c-4","Tags":[{{"Key":"team","Value":"ops"}}],"MemberArns":["{BOB}"],"ModeratorArns":["{ALICE}"]}}"#),
        ),
        ("CreateChannelMembership", format!(r#"{{"MemberArn":"{BOB}","Type":"DEFAULT"}}"#)),
        (
            "BatchCreateChannelMembership",
            format!(r#"{{"MemberArns":["{ALICE}","{BOB}"],"Type":"HIDDEN"}}"#),
        ),
        ("CreateChannelModerator", format!(r#"{{"ChannelModeratorArn":"{BOB}"}}"#)),
        ("CreateChannelBan", format!(r#"{{"MemberArn":"{BOB}"}}"#)),
        (
            "SendChannelMessage",
            r#"{"Content":"Bob, are you there?","Type":"STANDARD","Persistence":"PERSISTENT","ClientRequestToken":"c-5","PushNotification":{"Title":"Standup","Body":"Alice mentioned you","Type":"DEFAULT"},"MessageAttributes":{"mention":{"StringValues":["bob"]}}}"#.into(),
        ),
        (
            "PutChannelMembershipPreferences",
            r#"{"Preferences":{"PushNotifications":{"AllowNotifications":"FILTERED","FilterRule":"{\"mention\":[\"bob\"]}"}}}"#.into(),
        ),
        ("CreateWidgetSession", r#"{"InstanceId":"i-1","UserId":"u-1","DurationSeconds":3600}"#.into()),
        ("WidgetStatus", r#"{"NotificationId":"0f6c5b8e","Status":"READ"}"#.into()),
        ("WidgetReadAll", r#"{"NextToken":"abc.def"}"#.into()),
    ]
}

fn search_bodies() -> Vec<(&'static str, String)> {
    vec![
        ("by-id", r#"{"InstanceId":"i-1","SearchCriteria":{"StringCondition":{"FieldName":"Id","Value":"0f6c5b8e","ComparisonType":"STARTS_WITH"}}}"#.into()),
        (
            "nested-with-tags",
            r#"{"InstanceId":"i-1","MaxResults":10,"SearchCriteria":{"AndConditions":[{"StringCondition":{"FieldName":"Content","Value":"deploy","ComparisonType":"CONTAINS"}},{"OrConditions":[{"StringCondition":{"FieldName":"NotificationId","Value":"0f6c5b8e-2d7a-4c3e-9b1a-7e5d4c3b2a19","ComparisonType":"EXACT"}},{"StringCondition":{"FieldName":"Content","Value":"straße","ComparisonType":"CONTAINS"}}]}]},"SearchFilter":{"AttributeFilter":{"OrConditions":[{"TagConditions":[{"TagKey":"team","TagValue":"ops"}]},{"TagConditions":[{"TagKey":"env","TagValue":"prod"}]}],"AndCondition":{"TagConditions":[{"TagKey":"env","TagValue":"prod"}]}}}}"#.into(),
        ),
        ("tag-only", r#"{"InstanceId":"i-1","SearchFilter":{"AttributeFilter":{"TagCondition":{"TagKey":"team","TagValue":"ops"}}},"NextToken":"x.y"}"#.into()),
    ]
}

fn filter_rules() -> Vec<(&'static str, &'static str)> {
    vec![
        ("mention", "{\"mention\":[\"bob\"]}\0mention=bob"),
        (
            "or-and-anything-but",
            "{\"channel\":[\"ops\"],\"$or\":[{\"type\":[\"urgent\",\"page\"]},{\"mention\":[{\"anything-but\":[\"alice\"]}]}]}\0channel=ops\nmention=carol",
        ),
        (
            "anything-but-string",
            "{\"level\":[{\"anything-but\":\"debug\"}]}\0level=info,warn",
        ),
        (
            "nested-or",
            "{\"$or\":[{\"a\":[\"1\"],\"$or\":[{\"b\":[\"2\"]},{\"$or\":[{\"c\":[\"3\"]}]}]},{\"d\":[\"4\"]}]}\0a=1\nc=3",
        ),
    ]
}

fn sealed_payload(token: &str) -> Vec<u8> {
    let body = token.split('.').next().expect("a token body");
    URL_SAFE_NO_PAD.decode(body).expect("base64url")
}

fn with_mode(mode: u8, rest: &[u8]) -> Vec<u8> {
    let mut bytes = vec![mode];
    bytes.extend_from_slice(rest);
    bytes
}

fn pagination_tokens() {
    let codec = herald_fuzz::token_codec();
    let scope = herald_fuzz::token_scope();
    let tokens = [
        ("single", codec.issue(&scope, &42_i64)),
        ("pair", codec.issue(&scope, &(1_796_126_400_000_i64, 7_i64))),
        (
            "triple",
            codec.issue(&scope, &(2_i64, 1_796_126_400_000_i64, 7_i64)),
        ),
    ];
    for (name, token) in tokens {
        write(
            "pagination_token",
            &format!("token-{name}"),
            &with_mode(0, token.as_bytes()),
        );
        write(
            "pagination_token",
            &format!("payload-{name}"),
            &with_mode(1, &sealed_payload(&token)),
        );
    }
}

fn widget_tokens() {
    let tokens = herald_fuzz::session_tokens();
    let expires_at = herald_fuzz::now() + jiff::SignedDuration::from_hours(1);
    let token = tokens.issue(&WidgetGrant {
        account_id: "000000000000".into(),
        instance_id: "5d8a7c1e-0b4f-4e61-a2c9-3f7d9e8b6a01".into(),
        user_id: "u-1".into(),
        expires_at,
    });
    write("widget_token", "token", &with_mode(0, token.as_bytes()));
    let payload = sealed_payload(token.strip_prefix("hw1.").expect("the hw1 prefix"));
    write("widget_token", "payload", &with_mode(1, &payload));
    let expired = br#"{"a":"000000000000","i":"i-1","u":"u-1","e":1796126399000}"#;
    write("widget_token", "payload-expired", &with_mode(1, expired));
}

/// A request signed by the SDKs' signer, as sigv4_header's input lines.
fn signed(method: &str, service: &str, path: &str, query: &str, body: &str) -> Vec<u8> {
    let identity = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "seed").into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service)
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(herald_fuzz::now().as_second() as u64))
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();
    let url = if query.is_empty() {
        format!("http://{HOST}{path}")
    } else {
        format!("http://{HOST}{path}?{query}")
    };
    let request = SignableRequest::new(
        method,
        &url,
        [("host", HOST)].into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("a signable request");
    let (instructions, _) = sign(request, &params).expect("signed").into_parts();
    let header = |name: &str| {
        instructions
            .headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_string())
            .expect("a signing header")
    };
    format!(
        "{method}\n{}\n{}\n{path}\n{query}\n{body}",
        header("authorization"),
        header("x-amz-date")
    )
    .into_bytes()
}

fn main() {
    for (index, (name, body)) in request_bodies().into_iter().enumerate() {
        let selector = u8::try_from(index).expect("fewer than 256 operations");
        write("request_body", name, &with_mode(selector, body.as_bytes()));
    }
    write(
        "request_body",
        "CreateNotification-nul",
        &with_mode(0, br#"{"Content":{"en_US":"a\u0000b"},"Recipients":["x"]}"#),
    );
    for (name, body) in search_bodies() {
        write("search_criteria", name, body.as_bytes());
    }
    for (name, input) in filter_rules() {
        write("filter_rule", name, input.as_bytes());
    }
    pagination_tokens();
    widget_tokens();
    let search = &search_bodies()[0].1;
    write(
        "sigv4_header",
        "connect-search",
        &signed("POST", "connect", "/search-notifications", "", search),
    );
    write(
        "sigv4_header",
        "chime-list",
        &signed(
            "GET",
            "chime",
            "/channels",
            "app-instance-arn=arn%3Aaws%3Achime%3Aus-east-1%3A000000000000%3Aapp-instance%2F8c1e2f3a&max-results=5",
            "",
        ),
    );
    write(
        "sigv4_header",
        "amz-date-only",
        b"GET\n\n20261201T120000Z\n/\n\n",
    );
}
