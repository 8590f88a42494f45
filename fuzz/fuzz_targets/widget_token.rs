//! Widget session tokens, verified as every widget request does. The first
//! byte picks the path: the rest as a token string, as a browser sends it;
//! or the rest as a payload sealed with the fixed key, which reaches the
//! payload decoding (and the expiry) behind the signature.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let tokens = herald_fuzz::session_tokens();
    let now = herald_fuzz::now();
    if mode % 2 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            let _ = tokens.verify(token.trim(), now);
        }
    } else {
        let _ = tokens.verify(&tokens.seal(rest), now);
    }
});
