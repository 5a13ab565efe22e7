//! TLS listening sockets: a TCP listener plus the connections it is handshaking with.
//!
//! Accepting a TLS client takes round trips, so the listener accepts every TCP connection
//! the kernel has (while an accept waits, up to [`MAX_HANDSHAKES`] at once) and handshakes
//! with all of them concurrently, each driven by its own readiness. The first to finish
//! completes the oldest waiting accept; one that fails or stalls past the deadline is
//! dropped without the accept noticing.

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
/// backlog. Bounds the descriptors and memory a flood of idle clients can pin.
pub(crate) const MAX_HANDSHAKES: usize = 1024;

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
}

impl TlsListenerEntry {
    pub(crate) fn new(tcp: ListenerEntry, config: Arc<ServerConfig>) -> TlsListenerEntry {
        TlsListenerEntry {
            tcp,
            config,
            children: HashSet::new(),
            established: VecDeque::new(),
        }
    }

    /// Handshakes in progress.
    pub(crate) fn handshaking(&self) -> usize {
        self.children.len() - self.established.len()
    }
}
