//! Survey tokens and invitations. A token is never stored: it is derived from the invitation's
//! random id with the deployment's token key whenever a link is needed (the mail worker renders
//! it at send time), and only its SHA-256 is kept, and only while the round is open.
//!
//! A token reads `<round id>-<secret>`: after the round closes and the hashes are erased, the
//! link still tells which round it was for, so it leads to the friendly "closed" page. The round
//! id is no secret (rounds are few and numbered); the 256-bit secret part is.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// `<round id>-base64url(HMAC-SHA256(token_key, invitation_id))`: the secret part has 256 bits
/// and cannot be computed without the deployment's key.
pub fn token(token_key: &[u8], round_id: i32, invitation_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token_key).expect("HMAC takes keys of any length");
    mac.update(invitation_id.as_bytes());
    format!(
        "{round_id}-{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The round a presented token claims to belong to, if it has the shape of a token at all.
pub fn round_of(token: &str) -> Option<i32> {
    let (round, secret) = token.split_once('-')?;
    let well_formed = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed || round.starts_with('0') {
        return None;
    }
    round.parse().ok().filter(|id: &i32| *id > 0)
}

/// What the invitation row keeps to find a presented token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0f6c1d2e-0000-4000-8000-000000000001";

    #[test]
    fn tokens_are_stable_per_invitation_and_differ_between_invitations_and_keys() {
        let key = [7u8; 32];
        let a = token(&key, 12, ID);
        assert_eq!(a, token(&key, 12, ID));
        assert_ne!(a, token(&key, 12, "0f6c1d2e-0000-4000-8000-000000000002"));
        assert_ne!(a, token(&[8u8; 32], 12, ID));
        assert_eq!(a.len(), "12-".len() + 43, "256 bits in unpadded base64url");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn a_token_tells_its_round() {
        let t = token(&[3u8; 32], 7, "some-invitation");
        assert_eq!(round_of(&t), Some(7));
        let secret = "A".repeat(43);
        assert_eq!(round_of(&format!("x-{secret}")), None);
        assert_eq!(round_of(&format!("07-{secret}")), None);
        assert_eq!(round_of(&format!("0-{secret}")), None);
        assert_eq!(round_of("7-short"), None);
        assert_eq!(round_of("nonsense"), None);
    }

    #[test]
    fn the_hash_is_not_the_token() {
        let t = token(&[1u8; 32], 1, "id");
        let h = token_hash(&t);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&t));
    }
}
