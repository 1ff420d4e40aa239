//! Survey tokens and invitations. A token is never stored: it is derived from the invitation's
//! random id with the deployment's token key whenever a link is needed (the mail worker renders
//! it at send time), and only its SHA-256 is kept, and only while the round is open.
//!
//! A token reads `<round id>-<secret>`: after the round closes and the hashes are erased, the
//! link still tells which round it was for, so it leads to the friendly "closed" page. The round
//! id is no secret (rounds are few and numbered); the 256-bit secret part is.
//!
//! The invitations of a round are written here when it opens ([`issue`]) and their links ended
//! here when it closes or is cancelled ([`end_links`]); `crate::lifecycle` decides when.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::entities::{employee, invitation};
use crate::error::AppResult;

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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Written digit by digit: a `format!` per byte was 2.5 % of the server's time under load.
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(token.as_bytes()) {
        hex.push(HEX[usize::from(byte >> 4)] as char);
        hex.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    hex
}

/// Writes one invitation per active employee in `departments` (every department: `None`),
/// each with the department the employee is in now and the hash of its token. Returns how
/// many were invited.
pub async fn issue(
    txn: &impl ConnectionTrait,
    token_key: &[u8],
    round_id: i32,
    departments: Option<HashSet<i32>>,
) -> AppResult<usize> {
    let mut query = employee::Entity::find()
        .select_only()
        .column(employee::Column::Id)
        .column(employee::Column::DepartmentId)
        .filter(employee::Column::Active.eq(true));
    if let Some(ids) = departments {
        query = query.filter(employee::Column::DepartmentId.is_in(ids));
    }
    let invitees: Vec<(i32, i32)> = query.into_tuple().all(txn).await?;
    // 8 columns per row: well below every database's limit of bound parameters per statement.
    for chunk in invitees.chunks(2_000) {
        invitation::Entity::insert_many(chunk.iter().map(|(employee_id, department_id)| {
            let invitation_id = uuid::Uuid::new_v4().to_string();
            let token_hash = token_hash(&token(token_key, round_id, &invitation_id));
            invitation::ActiveModel {
                id: Set(invitation_id),
                round_id: Set(round_id),
                employee_id: Set(*employee_id),
                department_id: Set(*department_id),
                token_hash: Set(Some(token_hash)),
                sent_at: Set(None),
                reminders_sent: Set(0),
                answered: Set(false),
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(invitees.len())
}

/// Ends the links of a round: with their hashes erased no token finds its invitation any more,
/// and a submission claims nothing.
pub async fn end_links(txn: &impl ConnectionTrait, round_id: i32) -> AppResult<()> {
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::TokenHash,
            Expr::value(Option::<String>::None),
        )
        .filter(invitation::Column::RoundId.eq(round_id))
        .exec(txn)
        .await?;
    Ok(())
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
    fn the_hash_is_sha256_in_lower_case_hex() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_hash_is_not_the_token() {
        let t = token(&[1u8; 32], 1, "id");
        let h = token_hash(&t);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&t));
    }
}
