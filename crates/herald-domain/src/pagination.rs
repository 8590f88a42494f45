//! Opaque pagination tokens.
//!
//! A token is `base64url(payload) "." base64url(hmac)`, where the payload
//! names the operation, a digest of the request parameters that shaped the
//! listing (as moto does), and the keyset cursor. The HMAC key is the
//! store's token secret, so tokens survive restarts and work on every node
//! of one store, while a forged, altered or foreign token is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

use crate::Page;

type HmacSha256 = Hmac<Sha256>;

/// Tokens longer than this are refused before any decoding.
const MAX_TOKEN_LEN: usize = 2048;

/// A token that is forged, altered, foreign or from another request. Each
/// service turns it into its own invalid-input error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "NextToken is not valid for this request: pass back the NextToken that the same request returned."
)]
pub struct InvalidToken;

#[derive(Clone)]
pub struct TokenCodec {
    key: Vec<u8>,
}

/// What a token is bound to: the operation and the digest of its
/// parameters (everything but the page size and the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenScope {
    operation: &'static str,
    params_digest: String,
}

impl TokenScope {
    pub fn new(operation: &'static str, params: &impl Serialize) -> Self {
        let encoded = serde_json::to_vec(params).unwrap_or_default();
        let digest = Sha256::digest(&encoded);
        TokenScope {
            operation,
            params_digest: URL_SAFE_NO_PAD.encode(&digest[..16]),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Payload<C> {
    op: String,
    params: String,
    cursor: C,
}

impl TokenCodec {
    pub fn new(key: Vec<u8>) -> Self {
        TokenCodec { key }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length; this cannot fail.
        match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    pub fn issue<C: Serialize>(&self, scope: &TokenScope, cursor: &C) -> String {
        let payload = Payload {
            op: scope.operation.to_owned(),
            params: scope.params_digest.clone(),
            cursor,
        };
        self.seal(&serde_json::to_vec(&payload).unwrap_or_default())
    }

    /// A token carrying `body` as its payload, signed. Public so that a
    /// fuzz target can reach the payload decoding behind the signature
    /// check with bytes of its choosing.
    pub fn seal(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(body),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The cursor a request's optional `NextToken` carries.
    pub fn cursor<C: DeserializeOwned>(
        &self,
        scope: &TokenScope,
        token: Option<&str>,
    ) -> Result<Option<C>, InvalidToken> {
        token.map(|token| self.redeem(scope, token)).transpose()
    }

    /// Turns `limit + 1` fetched rows into a page: the extra row only tells
    /// that a next page exists, whose token carries the keyset cursor of
    /// the last item kept.
    pub fn page<T, C: Serialize>(
        &self,
        mut rows: Vec<T>,
        limit: u32,
        scope: &TokenScope,
        cursor_of: impl Fn(&T) -> C,
    ) -> Page<T> {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_token = match (more, rows.last()) {
            (true, Some(last)) => Some(self.issue(scope, &cursor_of(last))),
            _ => None,
        };
        Page {
            items: rows,
            next_token,
        }
    }

    pub fn redeem<C: DeserializeOwned>(
        &self,
        scope: &TokenScope,
        token: &str,
    ) -> Result<C, InvalidToken> {
        let invalid = || InvalidToken;
        if token.len() > MAX_TOKEN_LEN {
            return Err(invalid());
        }
        let (body, tag) = token.split_once('.').ok_or_else(invalid)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let mut mac = self.mac();
        mac.update(&body);
        // verify_slice compares in constant time.
        mac.verify_slice(&tag).map_err(|_| invalid())?;
        let payload: Payload<C> = serde_json::from_slice(&body).map_err(|_| invalid())?;
        if payload.op != scope.operation || payload.params != scope.params_digest {
            return Err(invalid());
        }
        Ok(payload.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> TokenCodec {
        TokenCodec::new(b"secret".to_vec())
    }

    #[test]
    fn round_trips_within_scope() {
        let scope = TokenScope::new("ListThings", &("instance-1",));
        let token = codec().issue(&scope, &(5_i64, 7_i64));
        let cursor: (i64, i64) = codec().redeem(&scope, &token).expect("valid token");
        assert_eq!(cursor, (5, 7));
    }

    #[test]
    fn refuses_other_scope_altered_and_forged_tokens() {
        let scope = TokenScope::new("ListThings", &("instance-1",));
        let token = codec().issue(&scope, &(5_i64, 7_i64));
        let other_params = TokenScope::new("ListThings", &("instance-2",));
        let other_op = TokenScope::new("ListOther", &("instance-1",));
        assert!(codec().redeem::<(i64, i64)>(&other_params, &token).is_err());
        assert!(codec().redeem::<(i64, i64)>(&other_op, &token).is_err());
        let other_key = TokenCodec::new(b"other".to_vec());
        assert!(other_key.redeem::<(i64, i64)>(&scope, &token).is_err());
        let mut altered = token.into_bytes();
        altered[3] ^= 1;
        let altered = String::from_utf8_lossy(&altered).into_owned();
        assert!(codec().redeem::<(i64, i64)>(&scope, &altered).is_err());
        assert!(codec().redeem::<(i64, i64)>(&scope, "garbage").is_err());
        assert!(codec().redeem::<(i64, i64)>(&scope, "").is_err());
    }
}
