//! The VM's view of the network: an interface the host implements.
//!
//! `kiwi-vm` knows no sockets and no tokio. The `socket` package's natives call a
//! [`NetDriver`] that the host installs with [`crate::Interp::set_net`]: `kiwi-runtime` backs it
//! with `kiwi-net`, the deterministic scheduler tests with an in-memory fake. Operations that
//! cannot finish at once complete later through [`NetDriver::take_completions`], which the VM
//! drains between task slices, so a completion wakes its awaiting task without polling.

use std::net::SocketAddr;

/// A socket or operation id (from the scheduler's one counter).
pub type NetId = i64;

/// What a finished operation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetValue {
    /// A new connection (from `accept` or `tcpconnect`).
    Socket(NetId),
    /// Received bytes; empty at end of stream.
    Bytes(Vec<u8>),
    /// Bytes written by a `send`.
    Sent(usize),
}

/// The one-line reason an operation failed (an OS reason, a closed socket, a bad id...).
pub type NetFailure = String;

/// How an operation ended.
pub type NetResult = Result<NetValue, NetFailure>;

/// What a live socket id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// A listening TCP socket.
    Listener,
    /// A connected TCP stream.
    Stream,
}

/// The host's network, as the `socket` natives use it.
///
/// Every operation id handed to `connect`, `accept`, `recv` or `send` gets exactly one result:
/// either returned at once (`Some`) or later from [`NetDriver::take_completions`].
pub trait NetDriver {
    /// Binds and listens; returns the new listener's id.
    fn tcp_server(&mut self, host: &str, port: u16, backlog: u32) -> Result<NetId, NetFailure>;
    /// Starts connecting; completes with [`NetValue::Socket`].
    fn connect(&mut self, op: NetId, host: &str, port: u16);
    /// Accepts one connection on `server`; completes with [`NetValue::Socket`].
    fn accept(&mut self, op: NetId, server: NetId) -> Option<NetResult>;
    /// Receives 1..=`max` bytes (empty at end of stream).
    fn recv(&mut self, op: NetId, sock: NetId, max: usize) -> Option<NetResult>;
    /// Sends all of `data`; completes with [`NetValue::Sent`].
    fn send(&mut self, op: NetId, sock: NetId, data: &[u8]) -> Option<NetResult>;
    /// Faults everything pending on `id` and closes it; unknown ids are ignored.
    fn close(&mut self, id: NetId);
    /// Closes the sending half of a connection.
    fn shutdown(&mut self, id: NetId) -> Result<(), NetFailure>;
    /// The local address of a socket.
    fn local_addr(&self, id: NetId) -> Result<SocketAddr, NetFailure>;
    /// The remote address of a connection.
    fn peer_addr(&self, id: NetId) -> Result<SocketAddr, NetFailure>;
    /// What `id` names, if it is a live socket.
    fn kind(&self, id: NetId) -> Option<SocketKind>;
    /// Operations started and not yet delivered.
    fn pending(&self) -> usize;
    /// Appends every finished operation to `out`.
    fn take_completions(&mut self, out: &mut Vec<(NetId, NetResult)>);
}

/// The driver of an interpreter that has no network (embedding without a host runtime):
/// every operation fails with the same reason.
#[derive(Default)]
pub struct NoNetwork {
    failed_connects: Vec<NetId>,
}

const NO_NETWORK: &str = "networking is not available in this host";

impl NetDriver for NoNetwork {
    fn tcp_server(&mut self, _: &str, _: u16, _: u32) -> Result<NetId, NetFailure> {
        Err(NO_NETWORK.into())
    }
    fn connect(&mut self, op: NetId, _: &str, _: u16) {
        self.failed_connects.push(op);
    }
    fn accept(&mut self, _: NetId, _: NetId) -> Option<NetResult> {
        Some(Err(NO_NETWORK.into()))
    }
    fn recv(&mut self, _: NetId, _: NetId, _: usize) -> Option<NetResult> {
        Some(Err(NO_NETWORK.into()))
    }
    fn send(&mut self, _: NetId, _: NetId, _: &[u8]) -> Option<NetResult> {
        Some(Err(NO_NETWORK.into()))
    }
    fn close(&mut self, _: NetId) {}
    fn shutdown(&mut self, _: NetId) -> Result<(), NetFailure> {
        Err(NO_NETWORK.into())
    }
    fn local_addr(&self, _: NetId) -> Result<SocketAddr, NetFailure> {
        Err(NO_NETWORK.into())
    }
    fn peer_addr(&self, _: NetId) -> Result<SocketAddr, NetFailure> {
        Err(NO_NETWORK.into())
    }
    fn kind(&self, _: NetId) -> Option<SocketKind> {
        None
    }
    fn pending(&self) -> usize {
        self.failed_connects.len()
    }
    fn take_completions(&mut self, out: &mut Vec<(NetId, NetResult)>) {
        out.extend(
            self.failed_connects
                .drain(..)
                .map(|op| (op, Err(NO_NETWORK.into()))),
        );
    }
}
