//! SigV4: the `Authorization` header, `x-amz-date` and the other header
//! timestamps, the path and query as they enter the canonical request.
//! Input lines: method, Authorization, x-amz-date, raw path, raw query; the
//! rest is the body. The request goes through the server's own two steps
//! (`check_headers`, then `verify`) with the default `test`/`test` key.
#![no_main]

use herald_fuzz::{ACCESS_KEY, HOST, REGION, SECRET_KEY};
use herald_protocol::auth::authenticate::{RequestToVerify, check_headers, verify};
use herald_protocol::auth::credentials::{KeyRing, Keys};
use herald_protocol::auth::sigv4::{
    PathEncoding, canonical_query, canonical_uri, parse_amz_date, parse_authorization,
};
use herald_protocol::aws::timestamp::from_header;
use http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;

fn line<'a>(rest: &mut &'a [u8]) -> &'a str {
    let (line, after) = herald_fuzz::split_once(rest, b'\n');
    *rest = after;
    std::str::from_utf8(line).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let method = Method::from_bytes(line(&mut rest).as_bytes()).unwrap_or(Method::GET);
    let authorization = line(&mut rest);
    let amz_date = line(&mut rest);
    let path = line(&mut rest);
    let query = line(&mut rest);
    let body = rest;

    let _ = parse_authorization(authorization);
    let _ = parse_amz_date(amz_date);
    let _ = from_header(amz_date, "If-Modified-Since");
    let _ = canonical_uri(path, PathEncoding::Single);
    let _ = canonical_query(Some(query));

    let mut headers = HeaderMap::new();
    headers.insert(http::header::HOST, HeaderValue::from_static(HOST));
    for (name, value) in [("authorization", authorization), ("x-amz-date", amz_date)] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    let keys = Keys::fixed(KeyRing::single_admin(
        ACCESS_KEY,
        SECRET_KEY,
        "000000000000",
    ));
    let Ok(pending) = check_headers(&keys, REGION, path, &headers, herald_fuzz::now()) else {
        return;
    };
    let _ = verify(
        pending,
        &RequestToVerify {
            method: &method,
            raw_path: path,
            raw_query: (!query.is_empty()).then_some(query),
            headers: &headers,
            authority: Some(HOST),
            body,
        },
    );
});
