//! Pagination tokens (`NextToken`), redeemed with every cursor type the
//! listings use. The first byte picks the path: the rest as a token
//! string, as a client sends it; or the rest as a payload sealed with the
//! fixed key, which reaches the payload decoding behind the signature.
#![no_main]

use herald_domain::pagination::{TokenCodec, TokenScope};
use libfuzzer_sys::fuzz_target;

fn redeem_all(codec: &TokenCodec, scope: &TokenScope, token: &str) {
    let _ = codec.redeem::<i64>(scope, token);
    let _ = codec.redeem::<(i64, i64)>(scope, token);
    let _ = codec.redeem::<(i64, i64, i64)>(scope, token);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let codec = herald_fuzz::token_codec();
    let scope = herald_fuzz::token_scope();
    if mode % 2 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            redeem_all(&codec, &scope, token);
        }
    } else {
        redeem_all(&codec, &scope, &codec.seal(rest));
    }
});
