//! The one error type of the crate.
//!
//! Every failure a script can see is a [`NetError`]: a coarse [`ErrorKind`] that the runtime
//! maps once to a Kiwi error type, plus a one-line message that already names the operation,
//! the socket or address, and the operating system's reason.

use std::io;

use crate::Id;

/// What went wrong, coarse enough to pick a Kiwi error type from.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The id does not name a live socket (never existed, or already closed).
    InvalidId,
    /// A listener where a connection is needed, or the other way round.
    WrongKind,
    /// The socket was closed (or shut down for writing) while the operation was pending.
    Closed,
    /// The peer refused the connection.
    Refused,
    /// The peer reset or aborted the connection (also a broken pipe).
    Reset,
    /// A host name could not be resolved.
    Resolve,
    /// The local address is already in use.
    AddrInUse,
    /// The operating system denied the operation (e.g. a privileged port).
    PermissionDenied,
    /// An argument was rejected (bad address, ...).
    InvalidInput,
    /// The name a TLS connect would verify the server against (its `sni`, or the host) is
    /// neither a DNS name nor an IP address.
    InvalidServerName,
    /// The operation timed out at the operating-system level.
    TimedOut,
    /// Any other I/O failure.
    Io,
    /// A TLS handshake or record-layer failure other than a rejected certificate: the peer
    /// does not speak TLS, shares no protocol version or cipher suite, sent an alert, closed
    /// or reset the connection mid-handshake, or did not finish the handshake in time.
    Tls,
    /// The server's certificate failed verification; the message names the cause (expired,
    /// unknown issuer, self-signed, not valid for the name, revoked, ...).
    CertRejected,
}

/// A failed socket operation: a kind plus a one-line message including the OS reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NetError {
    /// The category, for mapping to a script-level error type.
    pub kind: ErrorKind,
    /// Human-readable, single line, e.g.
    /// `connect to 127.0.0.1:1 failed: Connection refused (os error 111)`.
    pub message: String,
}

impl NetError {
    /// An error with an explicit kind and message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> NetError {
        NetError {
            kind,
            message: message.into(),
        }
    }

    /// `invalid socket id N` (kind [`ErrorKind::InvalidId`]).
    pub fn invalid_id(id: Id) -> NetError {
        NetError::new(ErrorKind::InvalidId, format!("invalid socket id {id}"))
    }

    /// A pending operation faulted because its socket was closed.
    pub fn closed(id: Id) -> NetError {
        NetError::new(ErrorKind::Closed, format!("socket {id} was closed"))
    }

    /// An I/O error, prefixed with what we were doing (`what` failed: reason).
    pub fn io(what: impl std::fmt::Display, err: &io::Error) -> NetError {
        NetError::new(kind_of(err), format!("{what} failed: {err}"))
    }
}

/// Maps an OS error to our coarse kind. Aborted connections and broken pipes count as resets
/// because for a script they mean the same thing: the peer is gone.
pub(crate) fn kind_of(err: &io::Error) -> ErrorKind {
    use io::ErrorKind as K;
    match err.kind() {
        K::ConnectionRefused => ErrorKind::Refused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => ErrorKind::Reset,
        K::AddrInUse => ErrorKind::AddrInUse,
        K::PermissionDenied => ErrorKind::PermissionDenied,
        K::InvalidInput | K::AddrNotAvailable => ErrorKind::InvalidInput,
        K::TimedOut => ErrorKind::TimedOut,
        _ => ErrorKind::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_with_the_os_reason() {
        let err = io::Error::from(io::ErrorKind::ConnectionRefused);
        let e = NetError::io("connect to 127.0.0.1:1", &err);
        assert_eq!(e.kind, ErrorKind::Refused);
        assert!(e.to_string().starts_with("connect to 127.0.0.1:1 failed: "));
        assert!(!e.to_string().contains('\n'));
        assert_eq!(NetError::invalid_id(7).to_string(), "invalid socket id 7");
    }
}
