//! Staff passwords, hashed with Argon2id (the OWASP recommendation) in PHC string format.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::problem::Problem;

pub const MIN_LENGTH: usize = 12;
/// zxcvbn's scale: 3 is "safely unguessable: moderate protection from offline slow-hash
/// scenarios" (about 10^10 guesses), which Argon2 makes slow indeed.
const MIN_SCORE: u8 = 3;

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    /// Common, a name or word, the account's own e-mail, or a pattern (dates, sequences,
    /// keyboard rows, repeats).
    TooGuessable,
}

impl PasswordProblem {
    /// The key of the message in the pages' texts (`templates/i18n`).
    pub fn key(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password_too_short",
            PasswordProblem::TooGuessable => "password_too_guessable",
        }
    }

    pub fn problem(self) -> Problem {
        Problem::new(self.key())
    }
}

impl std::fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordProblem::TooShort => {
                write!(f, "the password needs at least {MIN_LENGTH} characters")
            }
            PasswordProblem::TooGuessable => f.write_str(
                "the password is too easy to guess: it is common, contains the e-mail, or \
                 follows a pattern (a date, a sequence, a keyboard row); a few unrelated words \
                 make a good one",
            ),
        }
    }
}

/// Checks a new password before it is hashed; `user_inputs` are words of the account (its
/// e-mail) that must not carry the password.
pub fn validate_new(password: &str, user_inputs: &[&str]) -> Result<(), PasswordProblem> {
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordProblem::TooShort);
    }
    // zxcvbn's matching grows with the length; beyond 100 characters nothing is guessable.
    let probe: String = password.chars().take(100).collect();
    // The e-mail whole, its local part and its words: "anna.schmidt2026" is the e-mail plus a
    // year, however zxcvbn would weigh the whole address.
    let mut words: Vec<&str> = Vec::new();
    for input in user_inputs {
        words.push(input);
        if let Some((local, _)) = input.split_once('@') {
            words.push(local);
        }
        words.extend(
            input
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| word.chars().count() >= 3),
        );
    }
    if u8::from(zxcvbn::zxcvbn(&probe, &words).score()) < MIN_SCORE {
        return Err(PasswordProblem::TooGuessable);
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
    fn short_common_or_patterned_passwords_are_refused() {
        assert_eq!(validate_new("kurz", &[]), Err(PasswordProblem::TooShort));
        for weak in [
            "passwort1234",
            "Password1234!",
            "qwertzuiop123",
            "123456789012",
            "aaaaaaaaaaaa",
            "anna.schmidt2026",
        ] {
            assert_eq!(
                validate_new(weak, &["anna.schmidt@example.de"]),
                Err(PasswordProblem::TooGuessable),
                "{weak}"
            );
        }
        assert!(validate_new("Tanne Fluss Kompass Wolke", &[]).is_ok());
    }
}
