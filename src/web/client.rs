//! Who is asking, as far as the network says: the one client address that every limit (login,
//! survey links, and any limit to come) counts by. Behind the company's reverse proxy the peer
//! is the proxy for everyone, so the address comes from `X-Forwarded-For` when, and only when,
//! the peer is one of `trusted_proxies`.

use std::net::IpAddr;

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};

use super::request::app;
use crate::config::IpNet;

/// The client's address (`None` only where the server knows no peer, as in local tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddress {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(ClientAddress::of(req))
    }
}

impl ClientAddress {
    /// For other guards, which cannot wait on this one without an outcome to unpack.
    pub fn of(req: &Request<'_>) -> ClientAddress {
        ClientAddress(client_address(
            req.remote().map(|addr| addr.ip()),
            req.headers().get_one("X-Forwarded-For"),
            &app(req).settings.trusted_proxies,
        ))
    }
}

/// The client's address for rate limiting: the peer, unless the peer is a trusted proxy; then
/// the right-most address in `X-Forwarded-For` that is not itself a trusted proxy (the entries
/// left of it were written by the client and prove nothing).
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !is_trusted(client) {
                    break;
                }
            }
            // Garbage in the header: the last hop we could read is the best we know.
            Err(_) => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(value: &str) -> IpAddr {
        value.parse().unwrap()
    }

    fn nets(values: &[&str]) -> Vec<IpNet> {
        values.iter().map(|v| v.parse().unwrap()).collect()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let header = Some("198.51.100.7, 10.0.0.2");
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), header, &[]),
            Some(ip("203.0.113.9")),
            "no trusted proxies: the header is ignored"
        );
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), header, &trusted),
            Some(ip("203.0.113.9")),
            "an untrusted peer cannot choose its address"
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), header, &trusted),
            Some(ip("198.51.100.7")),
            "skips trusted hops from the right"
        );
        assert_eq!(
            client_address(
                Some(ip("10.0.0.1")),
                Some("1.1.1.1, 198.51.100.7"),
                &trusted
            ),
            Some(ip("198.51.100.7")),
            "what the client wrote left of the proxy's entry does not count"
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), None, &trusted),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), Some("nonsense, 10.0.0.3"), &trusted),
            Some(ip("10.0.0.3"))
        );
        assert_eq!(
            client_address(Some(ip("::ffff:10.0.0.1")), Some("2001:db8::5"), &trusted),
            Some(ip("2001:db8::5")),
            "IPv4-mapped peers are matched as IPv4"
        );
        assert_eq!(client_address(None, header, &trusted), None);
    }
}
