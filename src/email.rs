//! E-mail addresses as kundenpuls keeps them, for staff and employees alike. A leaf module.

/// E-mail addresses compare case-insensitively; this is the form that is stored.
pub fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Catches what is plainly not an address (a missing `@` or domain, blanks) before a mail is
/// queued for it; the relay has the last word on the rest.
pub fn is_plausible(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_in_lower_case() {
        assert_eq!(
            normalize("  Anna.Schmidt@Example.DE "),
            "anna.schmidt@example.de"
        );
    }

    #[test]
    fn implausible_emails_are_spotted() {
        assert!(is_plausible("hr@example.de"));
        for bad in [
            "hr",
            "@example.de",
            "hr@example",
            "hr@.de",
            "h r@example.de",
        ] {
            assert!(!is_plausible(bad), "{bad}");
        }
    }
}
