//! Staff passwords, hashed with Argon2id (the OWASP recommendation) in PHC string format.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const MIN_LENGTH: usize = 10;

/// Checks a new password before it is hashed.
pub fn validate_new(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!(
            "the password needs at least {MIN_LENGTH} characters"
        ));
    }
    Ok(())
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 with default parameters hashes any input")
        .to_string()
}

pub fn verify(stored_hash: &str, password: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verifies against a throw-away hash, so that a login for an unknown e-mail takes as long as
/// one with a wrong password and the timing tells nobody which addresses exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("kundenpuls-timing-equaliser"));
    let _ = verify(dummy, password);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("korrekt Pferd Batterie");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&stored, "korrekt Pferd Batterie"));
        assert!(!verify(&stored, "korrekt Pferd Batteri"));
        assert!(!verify("not a hash", "anything"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(validate_new("kurz").is_err());
        assert!(validate_new("lang genug!").is_ok());
    }
}
