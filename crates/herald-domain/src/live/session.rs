//! Widget session tokens: a short-lived grant to read one user's
//! notifications and set that user's statuses, and nothing else.
//!
//! A token is `hw1.` base64url(payload) `.` base64url(HMAC-SHA256). The key
//! is derived from the store's token secret, so tokens survive restarts
//! and work on every node of one store, but a pagination token can never
//! pass for a widget token (different key) nor the other way round.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "hw1.";
/// Tokens longer than this are refused before any decoding.
const MAX_TOKEN_LEN: usize = 2048;

/// What a token allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetGrant {
    pub account_id: String,
    pub instance_id: String,
    pub user_id: String,
    pub expires_at: Timestamp,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("The widget token is malformed.")]
    Malformed,
    #[error("The widget token's signature does not match: it was altered or issued elsewhere.")]
    BadSignature,
    #[error("The widget token has expired; ask for a new widget session.")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    #[serde(rename = "a")]
    account_id: String,
    #[serde(rename = "i")]
    instance_id: String,
    #[serde(rename = "u")]
    user_id: String,
    /// Expiry in epoch milliseconds.
    #[serde(rename = "e")]
    expires_ms: i64,
}

#[derive(Clone)]
pub struct SessionTokens {
    key: Vec<u8>,
}

impl SessionTokens {
    pub fn new(store_secret: &[u8]) -> Self {
        let mut mac =
            HmacSha256::new_from_slice(store_secret).expect("HMAC accepts any key length");
        mac.update(b"herald widget session tokens v1");
        SessionTokens {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length")
    }

    pub fn issue(&self, grant: &WidgetGrant) -> String {
        let payload = serde_json::to_vec(&Payload {
            account_id: grant.account_id.clone(),
            instance_id: grant.instance_id.clone(),
            user_id: grant.user_id.clone(),
            expires_ms: grant.expires_at.as_millisecond(),
        })
        .expect("the payload serialises");
        self.seal(&payload)
    }

    /// A token carrying `payload` (JSON), signed. Public so that a fuzz
    /// target can reach the payload decoding behind the signature check
    /// with bytes of its choosing.
    pub fn seal(&self, payload: &[u8]) -> String {
        let body = URL_SAFE_NO_PAD.encode(payload);
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{PREFIX}{body}.{signature}")
    }

    pub fn verify(&self, token: &str, now: Timestamp) -> Result<WidgetGrant, TokenRefusal> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenRefusal::Malformed);
        }
        let rest = token.strip_prefix(PREFIX).ok_or(TokenRefusal::Malformed)?;
        let (body, signature) = rest.split_once('.').ok_or(TokenRefusal::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenRefusal::Malformed)?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&signature)
            .map_err(|_| TokenRefusal::BadSignature)?;
        let payload: Payload = URL_SAFE_NO_PAD
            .decode(body)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenRefusal::Malformed)?;
        let expires_at =
            Timestamp::from_millisecond(payload.expires_ms).map_err(|_| TokenRefusal::Malformed)?;
        if expires_at <= now {
            return Err(TokenRefusal::Expired);
        }
        Ok(WidgetGrant {
            account_id: payload.account_id,
            instance_id: payload.instance_id,
            user_id: payload.user_id,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(expires_at: Timestamp) -> WidgetGrant {
        WidgetGrant {
            account_id: "111122223333".into(),
            instance_id: "i-1".into(),
            user_id: "u-1".into(),
            expires_at,
        }
    }

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(ms).unwrap()
    }

    #[test]
    fn a_token_round_trips_until_it_expires() {
        let tokens = SessionTokens::new(b"secret");
        let token = tokens.issue(&grant(at(2_000_000)));
        assert_eq!(
            tokens.verify(&token, at(1_000_000)),
            Ok(grant(at(2_000_000)))
        );
        assert_eq!(
            tokens.verify(&token, at(2_000_000)),
            Err(TokenRefusal::Expired)
        );
    }

    #[test]
    fn altered_foreign_and_garbled_tokens_are_refused() {
        let tokens = SessionTokens::new(b"secret");
        let token = tokens.issue(&grant(at(2_000_000)));
        let now = at(1_000_000);
        // Another store's secret.
        assert_eq!(
            SessionTokens::new(b"other").verify(&token, now),
            Err(TokenRefusal::BadSignature)
        );
        // A payload naming another user, with the old signature.
        let (_, signature) = token.rsplit_once('.').unwrap();
        let forged_body = URL_SAFE_NO_PAD
            .encode(br#"{"a":"111122223333","i":"i-1","u":"someone-else","e":2000000}"#);
        assert_eq!(
            tokens.verify(&format!("{PREFIX}{forged_body}.{signature}"), now),
            Err(TokenRefusal::BadSignature)
        );
        for garbled in [
            "",
            "hw1.",
            "hw1.abc",
            "hw2.a.b",
            "hw1.a.!!",
            &"x".repeat(5000),
        ] {
            assert_eq!(
                tokens.verify(garbled, now),
                Err(TokenRefusal::Malformed),
                "{garbled:.20}"
            );
        }
    }
}
