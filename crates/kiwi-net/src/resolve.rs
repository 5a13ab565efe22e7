//! Turning `host` + `port` into socket addresses.
//!
//! Servers resolve synchronously (binding is synchronous by contract, and happens once);
//! clients never block the runtime thread: IP literals are parsed directly and names go
//! through `tokio::net::lookup_host`, which runs the system resolver on the blocking pool.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use crate::{ErrorKind, NetError};

/// Where to bind, and whether an IPv6 socket should refuse IPv4 (dual-stack for "" and "::",
/// as Node and Python do; a specific IPv6 address such as "::1" stays IPv6-only).
pub(crate) struct BindTarget {
    pub addr: SocketAddr,
    pub v6only: bool,
}

/// The text of `addr`'s IP as scripts see it: IPv4-mapped IPv6 as IPv4, and loopback without
/// going through `fmt` (the common case under tests and load).
pub(crate) fn ip_text(addr: &SocketAddr) -> String {
    let ip = addr.ip().to_canonical();
    if ip == IpAddr::V4(std::net::Ipv4Addr::LOCALHOST) {
        return "127.0.0.1".to_owned();
    }
    ip.to_string()
}

/// `host:port` as a person would write it (IPv6 literals in brackets).
pub(crate) fn display(host: &str, port: u16) -> String {
    match literal(host) {
        Some(ip) => SocketAddr::new(ip, port).to_string(),
        None => format!("{host}:{port}"),
    }
}

/// An IP literal, also accepting the bracketed `[::1]` form.
fn literal(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Candidate addresses for a server, in the order to try them.
pub(crate) fn bind_targets(host: &str, port: u16) -> Result<Vec<BindTarget>, NetError> {
    if host.is_empty() {
        // All interfaces: one dual-stack socket if the host has IPv6, else IPv4 only.
        return Ok(vec![
            BindTarget {
                addr: (Ipv6Addr::UNSPECIFIED, port).into(),
                v6only: false,
            },
            BindTarget {
                addr: (Ipv4Addr::UNSPECIFIED, port).into(),
                v6only: false,
            },
        ]);
    }
    let addrs: Vec<SocketAddr> = match literal(host) {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => {
            let shown = format!("{host}:{port}");
            check_name(host, &shown)?;
            resolved(&shown, (host, port).to_socket_addrs())?
        }
    };
    Ok(addrs
        .into_iter()
        .map(|addr| BindTarget {
            addr,
            v6only: !addr.ip().is_unspecified(),
        })
        .collect())
}

/// Candidate addresses for a client, resolved without blocking the thread.
pub(crate) async fn connect_targets(host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    if let Some(ip) = literal(host) {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let shown = format!("{host}:{port}");
    check_name(host, &shown)?;
    resolved(&shown, tokio::net::lookup_host((host, port)).await)
}

/// The addresses of `host` (for `socket::resolve`), without blocking the thread, each once,
/// in the resolver's order; errors name the host alone.
pub(crate) async fn host_addresses(host: &str) -> Result<Vec<IpAddr>, NetError> {
    if let Some(ip) = literal(host) {
        return Ok(vec![ip]);
    }
    check_name(host, host)?;
    let mut ips: Vec<IpAddr> = Vec::new();
    for addr in resolved(host, tokio::net::lookup_host((host, 0)).await)? {
        if !ips.contains(&addr.ip()) {
            ips.push(addr.ip());
        }
    }
    Ok(ips)
}

/// What the system resolver answered for `shown` (`host:port`, or a host), as addresses or a
/// `Resolve` error that names it and keeps the resolver's reason. An empty answer is an error
/// too.
fn resolved(
    shown: &str,
    answer: std::io::Result<impl Iterator<Item = SocketAddr>>,
) -> Result<Vec<SocketAddr>, NetError> {
    let addrs: Vec<SocketAddr> = answer
        .map_err(|e| NetError::new(ErrorKind::Resolve, format!("cannot resolve {shown}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(NetError::new(
            ErrorKind::Resolve,
            format!("cannot resolve {shown}: no addresses"),
        ));
    }
    Ok(addrs)
}

/// Rejects, without asking any resolver, names that cannot resolve: malformed host names
/// and the special-use `.invalid` domain, which RFC 6761 (6.4) says name-resolution libraries
/// should answer negatively at once. So a typo never becomes a DNS query, and tests can use
/// `.invalid` names without sending traffic anywhere.
fn check_name(host: &str, shown: &str) -> Result<(), NetError> {
    let name = host.strip_suffix('.').unwrap_or(host);
    let well_formed = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    let reason = if !well_formed {
        "not a valid host name"
    } else if name.eq_ignore_ascii_case("invalid")
        || name.to_ascii_lowercase().ends_with(".invalid")
    {
        "the .invalid domain never resolves (RFC 6761)"
    } else {
        return Ok(());
    };
    Err(NetError::new(
        ErrorKind::Resolve,
        format!("cannot resolve {shown}: {reason}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_display() {
        assert_eq!(display("::1", 80), "[::1]:80");
        assert_eq!(display("[::1]", 80), "[::1]:80");
        assert_eq!(display("127.0.0.1", 1), "127.0.0.1:1");
        assert_eq!(display("example.invalid", 1), "example.invalid:1");
        let t = bind_targets("::1", 0).unwrap();
        assert_eq!(t.len(), 1);
        assert!(t[0].v6only);
        let any6 = bind_targets("::", 0).unwrap();
        assert!(!any6[0].v6only, ":: is dual-stack");
        assert!(!bind_targets("[::]", 0).unwrap()[0].v6only);
        for bad in [
            "no-such-host.invalid",
            "INVALID",
            "has space",
            "a..b",
            "-x.com",
            "",
        ] {
            let e = check_name(bad, "x:1").unwrap_err();
            assert_eq!(e.kind, ErrorKind::Resolve, "{bad}");
        }
        assert!(check_name("localhost", "localhost:1").is_ok());
        assert!(check_name("kiwi.local.", "kiwi.local.:1").is_ok());
        assert!(bind_targets("x.invalid", 0).is_err());
        let all = bind_targets("", 5).unwrap();
        assert!(!all[0].v6only && all[0].addr.is_ipv6() && all[1].addr.is_ipv4());
    }

    /// A real resolver failure (here the text glibc gives for NXDOMAIN, as std reports it)
    /// becomes a `Resolve` error naming the host and keeping the reason; so does an answer with
    /// no addresses. Every test of the public API uses `.invalid` names, which never reach a
    /// resolver, so this is where the mapping of a real answer is checked.
    #[test]
    fn resolver_answers_are_mapped() {
        let nxdomain = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        let e = resolved(
            "nowhere.example:443",
            Err::<std::vec::IntoIter<SocketAddr>, _>(nxdomain),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Resolve);
        assert_eq!(
            e.message,
            "cannot resolve nowhere.example:443: failed to lookup address information: \
             Name or service not known"
        );
        let e = resolved("empty.example:80", Ok(Vec::new().into_iter())).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Resolve);
        assert_eq!(e.message, "cannot resolve empty.example:80: no addresses");
        let v4: SocketAddr = "192.0.2.7:80".parse().unwrap();
        let v6: SocketAddr = "[2001:db8::7]:80".parse().unwrap();
        assert_eq!(
            resolved("two.example:80", Ok(vec![v6, v4].into_iter())).unwrap(),
            vec![v6, v4],
            "every address, in the resolver's order"
        );
    }
}
