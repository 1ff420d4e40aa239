//! Survey tokens and invitations. A token is never stored: it is derived from the invitation's
//! random id with the deployment's token key whenever a link is needed (the mail worker renders
//! it at send time), and only its SHA-256 is kept, and only while the round is open.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// `base64url(HMAC-SHA256(token_key, invitation_id))`: 256 bits, unguessable without the key.
pub fn token(token_key: &[u8], invitation_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token_key).expect("HMAC takes keys of any length");
    mac.update(invitation_id.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
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

    #[test]
    fn tokens_are_stable_per_invitation_and_differ_between_invitations_and_keys() {
        let key = [7u8; 32];
        let a = token(&key, "0f6c1d2e-0000-4000-8000-000000000001");
        assert_eq!(a, token(&key, "0f6c1d2e-0000-4000-8000-000000000001"));
        assert_ne!(a, token(&key, "0f6c1d2e-0000-4000-8000-000000000002"));
        assert_ne!(a, token(&[8u8; 32], "0f6c1d2e-0000-4000-8000-000000000001"));
        assert_eq!(a.len(), 43, "256 bits in unpadded base64url");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn the_hash_is_not_the_token() {
        let t = token(&[1u8; 32], "id");
        let h = token_hash(&t);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&t));
    }
}
