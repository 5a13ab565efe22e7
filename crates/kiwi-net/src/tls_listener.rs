//! TLS listening sockets: a TCP listener plus the connections it is handshaking with.
//!
//! Accepting a TLS client takes round trips, so the listener accepts every TCP connection
//! the kernel has (up to [`MAX_HANDSHAKES`] handshaking at once) and handshakes with all of
//! them concurrently, each driven by its own readiness. The first to finish completes the
//! oldest waiting accept; one that fails or stalls past the deadline is dropped without the
//! accept noticing. Like the kernel's backlog for plain TCP, this also happens while no
//! accept waits, for up to `backlog` connections, so a client's handshake completes before
//! the server script gets round to accepting it (a script may connect to its own server and
//! accept afterwards, as with `socket`).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;

use crate::handles::Handle;
use crate::listener::ListenerEntry;

/// How long a client may take to complete its handshake before it is dropped (and how long
/// a `tls_connect` waits for the server's side of it).
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many handshakes run at once per listener; more clients wait in the kernel's
/// backlog. Bounds the descriptors and memory a flood of idle clients can pin. At the cap, a
/// new client replaces the oldest handshake whose peer has sent nothing yet, so connections
/// that only hold a slot cannot lock real clients out.
pub const MAX_HANDSHAKES: usize = 1024;

/// A listening TLS socket.
pub(crate) struct TlsListenerEntry {
    /// The TCP listener and the waiting accepts (FIFO).
    pub tcp: ListenerEntry,
    pub config: Arc<ServerConfig>,
    /// Every connection this listener owns that no script has yet: handshaking, or done
    /// and waiting in `established`. Dropped with the listener.
    pub children: HashSet<Handle>,
    /// Finished handshakes no accept was waiting for, oldest first.
    pub established: VecDeque<Handle>,
    /// How many connections (handshaking or finished) it takes on while no accept waits:
    /// the listen backlog.
    pub ahead: usize,
    /// Children in the order they were accepted (entries that ended are skipped when met),
    /// to find the oldest silent handshake.
    pub arrival: VecDeque<Handle>,
}

impl TlsListenerEntry {
    pub(crate) fn new(
        tcp: ListenerEntry,
        config: Arc<ServerConfig>,
        backlog: u32,
    ) -> TlsListenerEntry {
        TlsListenerEntry {
            tcp,
            config,
            children: HashSet::new(),
            established: VecDeque::new(),
            ahead: usize::try_from(backlog)
                .unwrap_or(MAX_HANDSHAKES)
                .clamp(1, MAX_HANDSHAKES),
            arrival: VecDeque::new(),
        }
    }

    /// Whether only the handshake cap stops it from taking another connection.
    pub(crate) fn at_cap(&self) -> bool {
        self.handshaking() >= MAX_HANDSHAKES
            && (!self.tcp.accepts.is_empty() || self.children.len() < self.ahead)
    }

    /// Whether it should take another connection from the kernel now.
    pub(crate) fn wants_more(&self) -> bool {
        self.handshaking() < MAX_HANDSHAKES
            && (!self.tcp.accepts.is_empty() || self.children.len() < self.ahead)
    }

    /// Handshakes in progress.
    pub(crate) fn handshaking(&self) -> usize {
        self.children.len() - self.established.len()
    }
}
