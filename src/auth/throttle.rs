//! Limits on login attempts, per client address and per e-mail, so that passwords cannot be
//! guessed at speed from one place or against one account from many.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginThrottle {
    by_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    by_email: Option<DefaultKeyedRateLimiter<String>>,
}

impl LoginThrottle {
    /// `per_minute` attempts per address and per e-mail; 0 turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        let quota = NonZeroU32::new(per_minute).map(Quota::per_minute);
        LoginThrottle {
            by_address: quota.map(RateLimiter::keyed),
            by_email: quota.map(RateLimiter::keyed),
        }
    }

    /// Counts one attempt; `false` when either limit is spent.
    pub fn attempt(&self, address: Option<IpAddr>, email: &str) -> bool {
        let address_ok = match (&self.by_address, address) {
            (Some(limiter), Some(address)) => limiter.check_key(&address).is_ok(),
            _ => true,
        };
        let email_ok = match &self.by_email {
            Some(limiter) => limiter.check_key(&crate::email::normalize(email)).is_ok(),
            None => true,
        };
        address_ok && email_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_beyond_the_quota_are_refused_per_address_and_per_email() {
        let throttle = LoginThrottle::new(3);
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        let there: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.attempt(Some(here), "a@example.de"));
        }
        assert!(
            !throttle.attempt(Some(here), "b@example.de"),
            "address spent"
        );
        assert!(
            !throttle.attempt(Some(there), "A@example.de"),
            "e-mail spent"
        );
        assert!(throttle.attempt(Some(there), "c@example.de"));
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let throttle = LoginThrottle::new(0);
        assert!((0..100).all(|_| throttle.attempt(None, "a@example.de")));
    }
}
