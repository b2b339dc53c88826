//! Who the client is, for rate limits: the peer address, or behind a trusted reverse proxy the address that
//! proxy saw (`X-Forwarded-For`), and the key a limiter counts it under (an IPv6 client's /64).
//!
//! `X-Forwarded-For` is a list every proxy appends to (`client, proxy1, proxy2`); anyone can send one, so it is
//! read only when the peer is a trusted proxy (`--trusted-proxy CIDR`, repeatable), and then from the right:
//! the first address that is not itself a trusted proxy is the client. Without trusted proxies the header is
//! ignored.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// The client address the guard resolved for a request ([`resolve`]: the peer, or behind a trusted proxy its
/// `X-Forwarded-For`). The guard stores it as a request extension; a handler that rate-limits on its own (such
/// as `POST /v1/subscriptions`) takes it as an extractor, so there is one answer to "who is the client".
/// Outside the guard (a router without it) it is the unspecified address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

/// An IP network, `ADDR/PREFIX` (a bare address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `192.0.2.0/24`, `2001:db8::/32`, `10.0.0.1`.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let bad = |why: &str| format!("--trusted-proxy {text:?}: {why}");
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| bad("expected an IP address or ADDR/PREFIX"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| bad(&format!("prefix must be 0 to {max}")))?,
            None => max,
        };
        Ok(Cidr {
            network: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` is inside the network (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }
}

/// `::ffff:a.b.c.d` → `a.b.c.d`; anything else unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

/// The key a per-client limiter counts `ip` under: an IPv4 address as itself, an IPv6 address as its /64 (one
/// subscriber line usually gets a whole /64, so counting single IPv6 addresses would give one client 2^64
/// buckets).
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        v4 @ IpAddr::V4(_) => v4,
        v6 => mask(v6, 64),
    }
}

/// The peer address of a request (unspecified when the server was not started through `server::run`).
pub fn peer(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// The client of a request from `peer` with `headers`, given the trusted proxies.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return canonical(peer);
    }
    let mut client = canonical(peer);
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // A hop we cannot read: the last address we could trust is as far as we know.
            break;
        };
        client = canonical(ip);
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: `ADDR`, `ADDR:PORT` or `[V6]:PORT`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidrs_parse_and_match() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.255.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")));
        let one = Cidr::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("203.0.113.1"))
        );
        for bad in ["", "10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_clients_are_keyed_on_their_64() {
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            rate_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            ip("2001:db8:1:2::")
        );
        assert_ne!(rate_key(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(rate_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.9, 203.0.113.5, 10.0.0.2"),
        );
        // From an untrusted peer the header is the client's own claim: ignored.
        assert_eq!(resolve(ip("192.0.2.1"), &h, &trusted), ip("192.0.2.1"));
        // From a trusted proxy: the rightmost untrusted hop (203.0.113.5; 198.51.100.9 is what the client said).
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.5"));
        assert_eq!(resolve(ip("10.0.0.1"), &h, &[]), ip("10.0.0.1"));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("garbage, 10.0.0.3"),
        );
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.3"));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("[2001:db8::1]:443"),
        );
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("2001:db8::1"));
        assert_eq!(
            resolve(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
    }
}
