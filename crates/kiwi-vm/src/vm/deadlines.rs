//! Deadlines of socket operations that were given a timeout (`recv(.., timeout_ms)`,
//! `tcpconnect(.., timeout_ms)`). When one passes while the operation still waits, the
//! operation is cancelled in the network driver (so a receive takes no bytes and a connect's
//! socket is closed at once) and finishes with a `TimeoutError` (`tls::tcpconnect`: -2 or -3).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use crate::net::NetId;

/// What a deadline is for.
pub(crate) struct OpDeadline {
    /// The socket the operation waits on (`None` for a connect).
    pub on: Option<NetId>,
    /// The operation as the message names it (`socket::recv on socket 5`, `connect to h:p`).
    pub what: String,
    /// The peer, for a TLS connect that times out in its handshake.
    pub peer: String,
    /// The timeout, for the message.
    pub ms: i64,
}

/// Armed deadlines, earliest first. An entry stays until its time even if the operation
/// finished before; it is then ignored.
#[derive(Default)]
pub(crate) struct OpDeadlines {
    heap: BinaryHeap<Reverse<(Instant, NetId)>>,
    ops: HashMap<NetId, OpDeadline>,
}

impl OpDeadlines {
    /// Arms a deadline at `at` for operation `op`.
    pub(crate) fn arm(&mut self, at: Instant, op: NetId, deadline: OpDeadline) {
        self.heap.push(Reverse((at, op)));
        self.ops.insert(op, deadline);
    }

    /// The earliest armed deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes every deadline due at `now`.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<(NetId, OpDeadline)> {
        let mut out = Vec::new();
        while let Some(&Reverse((at, op))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            if let Some(d) = self.ops.remove(&op) {
                out.push((op, d));
            }
        }
        out
    }
}
