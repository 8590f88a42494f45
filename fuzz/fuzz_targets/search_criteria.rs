//! SearchNotifications criteria: the body decoded as the handler does,
//! turned into the domain's query by `parse_query` (the depth, condition
//! and length limits), then evaluated by the reference matcher and bound
//! into a pagination scope, as a search does.
#![no_main]

use std::collections::BTreeMap;

use bytes::Bytes;
use herald_domain::connect::search::{parse_query, query_matches};
use herald_domain::pagination::TokenScope;
use herald_protocol::aws::AwsRequest;
use herald_protocol::connect::search::search_input;
use herald_store::{Notification, Priority};
use libfuzzer_sys::fuzz_target;

fn notification() -> Notification {
    let at = herald_fuzz::now();
    Notification {
        seq: 1,
        instance_seq: 1,
        id: "0f6c5b8e-2d7a-4c3e-9b1a-7e5d4c3b2a19".into(),
        arn: "arn:aws:connect:us-east-1:000000000000:instance/i-1/notification/0f6c5b8e".into(),
        content: BTreeMap::from([
            (
                "en_US".into(),
                "Deploy at **5pm** — see [runbook](https://example.com)".into(),
            ),
            ("de_DE".into(), "Einsatz um 17 Uhr — Straße".into()),
        ]),
        priority: Priority::High,
        recipients: vec!["arn:aws:connect:us-east-1:000000000000:instance/i-1/agent/u-1".into()],
        broadcast: false,
        tags: BTreeMap::from([("team".into(), "ops".into()), ("env".into(), "prod".into())]),
        created_at: at,
        expires_at: at,
        modified_at: at,
        modified_region: "us-east-1".into(),
    }
}

fuzz_target!(|data: &[u8]| {
    let request = AwsRequest {
        labels: Default::default(),
        query: Vec::new(),
        headers: Default::default(),
        body: Bytes::copy_from_slice(data),
    };
    let Ok(body) = request.json() else {
        return;
    };
    let Ok(input) = search_input(body) else {
        return;
    };
    let Ok(query) = parse_query(&input) else {
        return;
    };
    let _ = query_matches(&query, &notification());
    let _ = TokenScope::new("SearchNotifications", &input);
});
