//! Results of operations and the queue that delivers them to the host.

use crate::{Id, NetError};

/// What a successful operation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// A new socket id (from connect or accept).
    Socket(Id),
    /// Received bytes: 1..=max of them, or empty at end of stream.
    Bytes(Vec<u8>),
    /// The whole buffer of a send was written; the number of bytes.
    Sent(usize),
    /// A line read from standard input, with its line ending; `None` at end of input.
    Line(Option<String>),
    /// The addresses a host name resolved to.
    Addresses(Vec<std::net::IpAddr>),
    /// What a blocking job ([`crate::Net::run_blocking`]) produced.
    Data(Payload),
    /// What a protocol operation produced (an HTTP response or request, a mail receipt).
    Record(kiwi_proto::Record),
    /// A UDP datagram and its sender (kept apart from records: an echo server's every turn
    /// makes one, and the interpreter reuses the sender's host text).
    Datagram(Vec<u8>, std::net::SocketAddr),
}

/// A blocking job's result, opaque to this crate: the caller that made the job knows its type.
#[derive(Clone)]
pub struct Payload(std::sync::Arc<dyn std::any::Any + Send + Sync>);

impl Payload {
    /// Wraps `value`.
    pub fn new<T: std::any::Any + Send + Sync>(value: T) -> Payload {
        Payload(std::sync::Arc::new(value))
    }

    /// The value, if it is a `T`.
    pub fn get<T: std::any::Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Payload")
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Payload {}

/// A completed operation that was pending: the op id the caller chose, and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The operation id passed to `connect` / `accept` / `recv` / `send`.
    pub op: Id,
    /// Its outcome.
    pub result: Result<Done, NetError>,
}

/// Queued completions plus the count of operations not yet handed back, so the host can
/// tell "I/O still pending" from "deadlock".
#[derive(Default)]
pub(crate) struct Completions {
    queue: Vec<Completion>,
    outstanding: usize,
}

impl Completions {
    /// An operation went pending: it owes one completion.
    pub(crate) fn started(&mut self) {
        self.outstanding += 1;
    }

    /// A pending operation was cancelled: it owes nothing any more.
    pub(crate) fn cancelled(&mut self) {
        self.outstanding = self.outstanding.saturating_sub(1);
    }

    /// A pending operation finished.
    pub(crate) fn push(&mut self, op: Id, result: Result<Done, NetError>) {
        self.queue.push(Completion { op, result });
    }

    /// Hands every queued completion to the caller.
    pub(crate) fn take(&mut self, out: &mut Vec<Completion>) {
        self.outstanding = self.outstanding.saturating_sub(self.queue.len());
        out.append(&mut self.queue);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn outstanding(&self) -> usize {
        self.outstanding
    }
}
