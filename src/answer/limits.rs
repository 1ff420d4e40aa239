//! Rate limits on survey links: per token, so that one link cannot be hammered, and per client
//! address, so that tokens cannot be guessed at speed (set high: an office often shares one
//! address). Behind a reverse proxy the client is the address the proxy reports, but only when
//! the proxy is configured as trusted; anyone else could write any `X-Forwarded-For`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::invite;

pub struct SurveyLimits {
    by_token: Option<DefaultKeyedRateLimiter<String>>,
    by_client: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU32,
}

/// Keyed limiters keep a state per key ever seen; sweeping now and then keeps memory bounded
/// however many tokens and addresses come by.
const SWEEP_EVERY: u32 = 8_192;

impl SurveyLimits {
    /// Limits per minute; 0 turns a limit off.
    pub fn new(token_per_minute: u32, client_per_minute: u32) -> Self {
        let quota = |per_minute| NonZeroU32::new(per_minute).map(Quota::per_minute);
        SurveyLimits {
            by_token: quota(token_per_minute).map(RateLimiter::keyed),
            by_client: quota(client_per_minute).map(RateLimiter::keyed),
            checks: AtomicU32::new(0),
        }
    }

    /// Counts one request from `client`; `false` when its quota is spent. Without a known
    /// address (a local client in tests) there is nothing to count.
    pub fn allow_client(&self, client: Option<IpAddr>) -> bool {
        self.tick();
        match (&self.by_client, client) {
            (Some(limiter), Some(client)) => limiter.check_key(&client).is_ok(),
            _ => true,
        }
    }

    /// Counts one submission for `token`; `false` when its quota is spent. Keyed by the
    /// token's hash so that no token sits in memory; hashed only when the limit is on.
    pub fn allow_token(&self, token: &str) -> bool {
        self.tick();
        match &self.by_token {
            Some(limiter) => limiter.check_key(&invite::token_hash(token)).is_ok(),
            None => true,
        }
    }

    fn tick(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            if let Some(limiter) = &self.by_client {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
            if let Some(limiter) = &self.by_token {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(value: &str) -> IpAddr {
        value.parse().unwrap()
    }

    #[test]
    fn a_token_may_post_its_quota_per_minute_and_others_are_not_affected() {
        let limits = SurveyLimits::new(5, 0);
        assert!((0..5).all(|_| limits.allow_token("a")));
        assert!(!limits.allow_token("a"));
        assert!(limits.allow_token("b"));
    }

    #[test]
    fn a_client_may_make_its_quota_of_requests() {
        let limits = SurveyLimits::new(0, 3);
        let here = Some(ip("192.0.2.1"));
        assert!((0..3).all(|_| limits.allow_client(here)));
        assert!(!limits.allow_client(here));
        assert!(limits.allow_client(Some(ip("192.0.2.2"))));
        assert!(limits.allow_client(None), "no address, nothing to count");
    }

    #[test]
    fn zero_turns_the_limits_off() {
        let limits = SurveyLimits::new(0, 0);
        assert!((0..20_000).all(|n| limits.allow_token("a")
            && limits.allow_client(Some(ip(if n % 2 == 0 { "::1" } else { "10.0.0.1" })))));
    }
}
