//! Shared test helpers: a current-thread runtime + LocalSet, and a driver that waits for a
//! particular operation's completion (with a timeout, so a bug fails instead of hanging).
#![allow(dead_code)]

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use kiwi_net::{Completion, Done, Id, Net, NetError};

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `f` the way the Kiwi runtime does: one thread, current-thread runtime, LocalSet.
pub fn run<F: Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    tokio::task::LocalSet::new().block_on(&rt, f)
}

/// A `Net` plus the completions seen so far, keyed by op id.
pub struct Driver {
    pub net: Net,
    pub ids: Rc<Cell<i64>>,
    done: HashMap<Id, Result<Done, NetError>>,
    /// Every op that ever completed (returned at once or delivered), in completion order: a
    /// second delivery of an op is caught even after its first result was taken.
    finished: Vec<Id>,
    seen: HashSet<Id>,
}

impl Driver {
    pub fn new() -> Driver {
        let ids = Rc::new(Cell::new(1));
        Driver {
            net: Net::new(ids.clone()),
            ids,
            done: HashMap::new(),
            finished: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// A fresh operation id from the shared counter, as the scheduler would hand out.
    pub fn op(&self) -> Id {
        let id = self.ids.get();
        self.ids.set(id + 1);
        id
    }

    fn collect(&mut self) {
        let mut out: Vec<Completion> = Vec::new();
        self.net.take_completions(&mut out);
        for c in out {
            self.record(c.op);
            self.done.insert(c.op, c.result);
        }
    }

    /// Notes that `op` finished; it must not have finished before.
    fn record(&mut self, op: Id) {
        assert!(self.seen.insert(op), "op {op} completed twice");
        self.finished.push(op);
    }

    /// The ops among `ops` in the order they finished (those not finished yet are left out).
    pub fn completion_order(&self, ops: &[Id]) -> Vec<Id> {
        let wanted: HashSet<Id> = ops.iter().copied().collect();
        self.finished
            .iter()
            .copied()
            .filter(|op| wanted.contains(op))
            .collect()
    }

    /// Waits for `op`'s completion.
    pub async fn wait(&mut self, op: Id) -> Result<Done, NetError> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            self.collect();
            if let Some(r) = self.done.remove(&op) {
                return r;
            }
            tokio::time::timeout_at(deadline, self.net.completion_ready())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for op {op}"));
        }
    }

    /// The result of an op that may have completed at once (`Some`) or be pending (`None`).
    pub async fn finish(
        &mut self,
        op: Id,
        now: Option<Result<Done, NetError>>,
    ) -> Result<Done, NetError> {
        match now {
            Some(r) => {
                self.collect();
                // A later delivery of the same op is caught by `record` too.
                self.record(op);
                r
            }
            None => self.wait(op).await,
        }
    }

    /// True if `op` has completed (without waiting).
    pub fn is_done(&mut self, op: Id) -> bool {
        self.collect();
        self.done.contains_key(&op)
    }

    /// Keeps the net running for `d`, collecting completions.
    pub async fn idle(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        while tokio::time::timeout_at(deadline, self.net.completion_ready())
            .await
            .is_ok()
        {
            self.collect();
        }
        self.collect();
    }

    /// Takes an already-delivered result.
    pub fn take(&mut self, op: Id) -> Option<Result<Done, NetError>> {
        self.collect();
        self.done.remove(&op)
    }

    pub async fn connect(&mut self, host: &str, port: u16) -> Result<Id, NetError> {
        let op = self.op();
        self.net.connect(op, host, port);
        self.wait(op).await.map(socket)
    }

    pub async fn accept(&mut self, server: Id) -> Result<Id, NetError> {
        let op = self.op();
        let now = self.net.accept(op, server);
        self.finish(op, now).await.map(socket)
    }

    pub async fn recv(&mut self, sock: Id, max: usize) -> Result<Vec<u8>, NetError> {
        let op = self.op();
        let now = self.net.recv(op, sock, max);
        self.finish(op, now).await.map(bytes)
    }

    pub async fn send(&mut self, sock: Id, data: &[u8]) -> Result<usize, NetError> {
        let op = self.op();
        let now = self.net.send(op, sock, data);
        self.finish(op, now).await.map(|d| match d {
            Done::Sent(n) => n,
            other => panic!("expected Sent, got {other:?}"),
        })
    }

    /// Receives until `n` bytes arrived (or end of stream).
    pub async fn recv_exact(&mut self, sock: Id, n: usize) -> Vec<u8> {
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            let chunk = self.recv(sock, n - got.len()).await.expect("recv");
            if chunk.is_empty() {
                break;
            }
            got.extend_from_slice(&chunk);
        }
        got
    }

    /// A listener on `host` port 0, and its address.
    pub fn server(&mut self, host: &str) -> (Id, SocketAddr) {
        let id = self
            .net
            .tcp_server(host, 0, 128, false)
            .expect("tcp_server");
        let addr = self.net.local_addr(id).expect("local_addr");
        (id, addr)
    }

    /// A connected pair of Net streams on loopback: (listener, client side, server side).
    pub async fn pair(&mut self) -> (Id, Id, Id) {
        let (l, addr) = self.server("127.0.0.1");
        let op = self.op();
        self.net.connect(op, "127.0.0.1", addr.port());
        let server_side = self.accept(l).await.expect("accept");
        let client = socket(self.wait(op).await.expect("connect"));
        (l, client, server_side)
    }
}

pub fn socket(d: Done) -> Id {
    match d {
        Done::Socket(id) => id,
        other => panic!("expected Socket, got {other:?}"),
    }
}

pub fn bytes(d: Done) -> Vec<u8> {
    match d {
        Done::Bytes(b) => b,
        other => panic!("expected Bytes, got {other:?}"),
    }
}
