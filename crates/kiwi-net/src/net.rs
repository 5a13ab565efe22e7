//! [`Net`]: the socket table, the operation entry points, and the host-side drain that turns
//! readiness into completions.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::completions::Completions;
use crate::handles::{Handle, Handles};
use crate::linger::Lingering;
use crate::listener::{Accept, ListenerEntry};
use crate::options::{self, OptionValue};
use crate::resolve;
use crate::stdin::StdinReader;
use crate::stream::{read_want, ByteStream, Delimited, PendingSend, StreamEntry, Want, WriteHalf};
use crate::tls_config::Trust;
use crate::tls_listener::{TlsListenerEntry, TLS_HANDSHAKE_TIMEOUT};
use crate::tls_stream::{Owner, TlsStreamEntry};
use crate::wake::{socket_waker, Connected, Dir, Finished, Shared};
use crate::{Completion, Done, ErrorKind, Id, NetError};

/// A map keyed by ids the runtime hands out itself (no peer chooses them, so no seeded hash
/// is needed; these maps are on every request's path).
pub(crate) type IdMap<V> = HashMap<Id, V, foldhash::fast::FixedState>;
use socket2::SockRef;

pub(crate) mod http_client;
pub(crate) mod http_server;
pub(crate) mod smtp;
mod tls;
pub(crate) mod udp;

/// What kind of socket an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// A listening TCP socket (accept only).
    Listener,
    /// A connected TCP stream (recv / send / shutdown).
    Stream,
    /// A listening TLS socket: accept completes after the server-side handshake.
    TlsListener,
    /// A TLS connection whose handshake has completed.
    TlsStream,
}

/// One slot of the socket table.
enum Entry {
    Listener(ListenerEntry),
    Stream(StreamEntry),
    /// Boxed, like `TlsStream`: slots are as large as the largest variant, and TCP
    /// connections must stay small (`tests/memory.rs`).
    TlsListener(Box<TlsListenerEntry>),
    /// Also a connection still handshaking or waiting for an accept (`owner` is `Some`);
    /// such an entry has an internal negative id and is invisible to the public API.
    /// Boxed: a rustls connection is over a kilobyte.
    TlsStream(Box<TlsStreamEntry>),
}

impl Entry {
    /// Whether scripts may use this entry (see [`Entry::TlsStream`]).
    fn is_public(&self) -> bool {
        !matches!(self, Entry::TlsStream(t) if t.owner.is_some())
    }
}

/// Everything mutable, behind one `RefCell` borrowed only inside `Net` methods (no callback
/// ever runs while it is borrowed: wakers only touch [`Shared`]).
struct State {
    table: Handles<Entry>,
    completions: Completions,
    /// Connects in flight (op -> its resolve-and-connect task), so close_all can cancel them.
    connects: IdMap<JoinHandle<()>>,
    /// The one read buffer (allocated on first use).
    scratch: Vec<u8>,
    /// Reused buffers for draining the shared lists.
    ready_buf: Vec<(Handle, Dir)>,
    connected_buf: Vec<Connected>,
    /// CAs added with `tls_trust` and the client config built from them.
    trust: Trust,
    /// TLS connects whose TCP connect is in flight: what to handshake with once it lands.
    tls_connects: IdMap<tls::Target>,
    /// The handshake deadline (a test hook can shorten it).
    hs_timeout: Duration,
    /// The last internal (negative) id given to a connection no script owns yet.
    internal_ids: i64,
    /// Closed connections still lingering (see [`crate::linger`]).
    lingering: Arc<Lingering>,
    /// The standard-input reader thread, once a line was asked for.
    stdin: Option<StdinReader>,
    /// Name resolutions in flight (stopped when the `Net` goes).
    resolves: Vec<JoinHandle<()>>,
    /// Reused buffer for draining operations finished by tasks and threads.
    finished_buf: Vec<Finished>,
    /// The HTTP client and its requests in flight.
    http: http_client::ClientState,
    /// HTTP servers by id.
    servers: IdMap<http_server::ServerEntry>,
    /// UDP sockets by id.
    udp: IdMap<udp::UdpEntry>,
    /// HTTP replies handed to connection tasks since the host last yielded to them.
    unflushed_replies: u32,
}

impl Default for State {
    fn default() -> Self {
        State {
            table: Handles::default(),
            completions: Completions::default(),
            connects: IdMap::default(),
            scratch: Vec::new(),
            ready_buf: Vec::new(),
            connected_buf: Vec::new(),
            trust: Trust::default(),
            tls_connects: IdMap::default(),
            hs_timeout: TLS_HANDSHAKE_TIMEOUT,
            internal_ids: 0,
            lingering: Arc::default(),
            stdin: None,
            resolves: Vec::new(),
            finished_buf: Vec::new(),
            http: http_client::ClientState::default(),
            servers: IdMap::default(),
            udp: IdMap::default(),
            unflushed_replies: 0,
        }
    }
}

struct Inner {
    ids: Rc<Cell<i64>>,
    shared: Arc<Shared>,
    state: RefCell<State>,
}

impl Drop for Inner {
    /// Connect tasks hold only the shared lists, so they would outlive the table; stop them.
    fn drop(&mut self) {
        let st = self.state.get_mut();
        for (_, task) in st.connects.drain() {
            task.abort();
        }
        for task in st.resolves.drain(..) {
            task.abort();
        }
    }
}

/// The TCP sockets of one runtime. Cheap to clone; clones share everything. `!Send`: it
/// lives on the runtime thread.
#[derive(Clone)]
pub struct Net {
    inner: Rc<Inner>,
}

fn no_runtime() -> NetError {
    NetError::new(ErrorKind::Io, "no tokio runtime is running on this thread")
}

fn not_stream(id: Id) -> NetError {
    NetError::new(
        ErrorKind::WrongKind,
        format!("socket {id} is a listening socket, not a connection"),
    )
}

fn not_listener(id: Id) -> NetError {
    NetError::new(
        ErrorKind::WrongKind,
        format!("socket {id} is a connection, not a listening socket"),
    )
}

/// The public entry behind `id` (connections no script owns yet do not count).
fn public_mut(table: &mut Handles<Entry>, id: Id) -> Option<&mut Entry> {
    table.get_id_mut(id).filter(|e| e.is_public())
}

fn public(table: &Handles<Entry>, id: Id) -> Option<&Entry> {
    table.get_id(id).filter(|e| e.is_public())
}

/// Starts a receive on either kind of stream: `Some` if it completed at once.
fn recv_on<S: ByteStream>(
    s: &mut S,
    op: Id,
    sock: Id,
    want: Want,
    scratch: &mut Vec<u8>,
) -> Option<Result<Done, NetError>> {
    if s.q().reads.is_empty() {
        if let Some(r) = read_want(s, sock, &want, scratch) {
            return Some(r);
        }
    }
    s.q().reads.push_back((op, want));
    None
}

/// Starts a send on either kind of stream: `Some` if it completed (or failed) at once.
fn send_on<S: ByteStream>(
    s: &mut S,
    op: Id,
    sock: Id,
    data: &[u8],
) -> Option<Result<Done, NetError>> {
    if s.q().write_half != WriteHalf::Open {
        return Some(Err(StreamEntry::shut_error(sock)));
    }
    let mut written = 0;
    if s.q().writes.is_empty() {
        match s.write_some(sock, data, &mut written) {
            Ok(true) => return Some(Ok(Done::Sent(data.len()))),
            Ok(false) => {}
            Err(e) => return Some(Err(e)),
        }
    }
    // Only a send that has to wait keeps a copy of its bytes.
    s.q().writes.push_back(PendingSend {
        op,
        data: data.to_vec(),
        written,
    });
    None
}

fn shutdown_on<S: ByteStream>(s: &mut S, id: Id) -> Result<(), NetError> {
    let half = s.q().write_half;
    match half {
        WriteHalf::Open if s.q().writes.is_empty() => s.shutdown_now(id),
        WriteHalf::Open => {
            s.q().write_half = WriteHalf::ShutdownQueued;
            Ok(())
        }
        WriteHalf::ShutdownQueued | WriteHalf::Shutdown => Ok(()),
    }
}

/// Serves waiting receives in order until one would block.
fn serve_reads<S: ByteStream>(s: &mut S, id: Id, scratch: &mut Vec<u8>, done: &mut Completions) {
    while let Some((op, want)) = s.q().reads.pop_front() {
        match read_want(s, id, &want, scratch) {
            Some(r) => done.push(op, r),
            None => {
                s.q().reads.push_front((op, want));
                break;
            }
        }
    }
}

/// Continues queued sends in order; shuts the sending half once they are done if asked to.
fn serve_writes<S: ByteStream>(s: &mut S, id: Id, done: &mut Completions) {
    while let Some(mut w) = s.q().writes.pop_front() {
        match s.write_some(id, &w.data, &mut w.written) {
            Ok(true) => done.push(w.op, Ok(Done::Sent(w.data.len()))),
            Ok(false) => {
                s.q().writes.push_front(w);
                return;
            }
            Err(e) => done.push(w.op, Err(e)),
        }
    }
    s.flush_extra();
    if s.q().write_half == WriteHalf::ShutdownQueued {
        let _ = s.shutdown_now(id);
    }
}

/// What [`Net::cancel`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// A connect, during its TCP connect.
    Connect,
    /// A TLS connect, during its handshake.
    Handshake,
    /// A receive, accept or send that was waiting in a socket's queue.
    Queued,
}

/// Cancels connect `op`, in its TCP connect or its TLS handshake.
fn cancel_connect(st: &mut State, op: Id) -> Option<Cancelled> {
    if let Some(task) = st.connects.remove(&op) {
        task.abort();
        st.tls_connects.remove(&op);
        return Some(Cancelled::Connect);
    }
    // A TLS connect past its TCP connect: handshaking under an internal id.
    let handshaking = st.table.ids().into_iter().find(|&id| {
        matches!(st.table.get_id(id), Some(Entry::TlsStream(t))
            if matches!(&t.owner, Some(Owner::Connect { op: o, .. }) if *o == op))
    });
    handshaking
        .and_then(|id| st.table.remove_id(id))
        .map(|_| Cancelled::Handshake)
}

/// Removes `op` from the queues of socket `sock`; whether it was waiting there.
fn cancel_queued(table: &mut Handles<Entry>, sock: Id, op: Id) -> bool {
    match public_mut(table, sock) {
        Some(Entry::Stream(s)) => s.q.cancel(op),
        Some(Entry::TlsStream(s)) => s.q.cancel(op),
        Some(Entry::Listener(l)) => remove_first(&mut l.accepts, op),
        Some(Entry::TlsListener(l)) => remove_first(&mut l.tcp.accepts, op),
        None => false,
    }
}

/// Removes `op` from a queue of operation ids; whether it was there.
fn remove_first(queue: &mut std::collections::VecDeque<Id>, op: Id) -> bool {
    match queue.iter().position(|&o| o == op) {
        Some(i) => queue.remove(i).is_some(),
        None => false,
    }
}

impl State {
    /// Faults every waiting operation of a removed entry, reads/accepts first, then sends.
    /// A TLS listener's unaccepted connections are dropped; a TLS stream sends close_notify
    /// (best effort) before its socket closes.
    fn fault_all(&mut self, id: Id, entry: Entry) {
        let closed = |op| (op, Err(NetError::closed(id)));
        match entry {
            Entry::Listener(l) => {
                for op in l.accepts.iter().copied() {
                    let (op, r) = closed(op);
                    self.completions.push(op, r);
                }
            }
            Entry::TlsListener(l) => {
                for op in l.tcp.accepts.iter().copied() {
                    let (op, r) = closed(op);
                    self.completions.push(op, r);
                }
                for h in l.children {
                    if let Some(child) = self.table.id_of(h) {
                        self.table.remove_id(child);
                    }
                }
            }
            Entry::Stream(s) => {
                for &(op, _) in &s.q.reads {
                    self.completions.push(op, Err(NetError::closed(id)));
                }
                for w in &s.q.writes {
                    self.completions.push(w.op, Err(NetError::closed(id)));
                }
                self.lingering.start(s.sock, None);
            }
            Entry::TlsStream(s) => {
                if let Some(Owner::Connect { op, .. }) = s.owner {
                    let e = NetError::new(ErrorKind::Closed, "TLS connect was cancelled");
                    self.completions.push(op, Err(e));
                }
                for &(op, _) in &s.q.reads {
                    self.completions.push(op, Err(NetError::closed(id)));
                }
                for w in &s.q.writes {
                    self.completions.push(w.op, Err(NetError::closed(id)));
                }
                s.close(&self.lingering);
            }
        }
    }
}

impl Net {
    /// A socket table drawing ids from `ids`, the runtime-wide counter shared with the task
    /// scheduler (take an id with `let id = ids.get(); ids.set(id + 1);`).
    pub fn new(ids: Rc<Cell<i64>>) -> Net {
        Net {
            inner: Rc::new(Inner {
                ids,
                shared: Arc::default(),
                state: RefCell::default(),
            }),
        }
    }

    fn next_id(&self) -> Id {
        let id = self.inner.ids.get();
        self.inner.ids.set(id + 1);
        id
    }

    /// Registers a connected stream under a fresh id.
    fn add_stream(&self, st: &mut State, sock: TcpStream) -> Id {
        let id = self.next_id();
        let h = st.table.vacant_handle();
        let entry = StreamEntry::new(
            sock,
            socket_waker(&self.inner.shared, h, Dir::Read),
            socket_waker(&self.inner.shared, h, Dir::Write),
        );
        st.table.insert(id, Entry::Stream(entry));
        id
    }

    /// Binds and listens synchronously. `host` "" means all interfaces (dual-stack `::` when
    /// the host has IPv6, else `0.0.0.0`); names are resolved and every address is tried
    /// until one binds; port 0 picks a free port. Needs a tokio runtime with I/O enabled.
    /// With `reuse_port`, other sockets (other processes) may bind the same port too.
    pub fn tcp_server(
        &self,
        host: &str,
        port: u16,
        backlog: u32,
        reuse_port: bool,
    ) -> Result<Id, NetError> {
        self.listen(host, port, backlog, reuse_port, Entry::Listener)
    }

    /// Binds, listens and registers the listener `wrap` makes of the TCP one.
    fn listen(
        &self,
        host: &str,
        port: u16,
        backlog: u32,
        reuse_port: bool,
        wrap: impl FnOnce(ListenerEntry) -> Entry,
    ) -> Result<Id, NetError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(no_runtime());
        }
        let sock = self.bind_listener(host, port, backlog, reuse_port)?;
        let id = self.next_id();
        let mut st = self.inner.state.borrow_mut();
        let h = st.table.vacant_handle();
        let waker = socket_waker(&self.inner.shared, h, Dir::Read);
        st.table.insert(id, wrap(ListenerEntry::new(sock, waker)));
        Ok(id)
    }

    /// Starts connecting; completes later with `Done::Socket(new_id)`. Names are resolved
    /// without blocking the thread; every address is tried in order.
    pub fn connect(&self, op: Id, host: &str, port: u16) {
        let mut st = self.inner.state.borrow_mut();
        st.completions.started();
        if tokio::runtime::Handle::try_current().is_err() {
            st.completions.push(op, Err(no_runtime()));
            drop(st);
            self.inner.shared.wake_host();
            return;
        }
        self.spawn_connect(&mut st, op, host, port);
    }

    /// Resolves and connects in a task that reports through the shared lists.
    fn spawn_connect(&self, st: &mut State, op: Id, host: &str, port: u16) {
        let shared = self.inner.shared.clone();
        let host = host.to_owned();
        let task = tokio::spawn(async move {
            let result = connect_any(&host, port).await;
            shared.push_connected((op, result));
        });
        st.connects.insert(op, task);
    }

    /// Accepts a connection: `Some` if one was waiting (or on error), `None` if the accept is
    /// pending (it then completes exactly once through [`Net::take_completions`]).
    pub fn accept(&self, op: Id, server: Id) -> Option<Result<Done, NetError>> {
        let mut st = self.inner.state.borrow_mut();
        let st = &mut *st;
        let Some(h) = st.table.lookup(server) else {
            return Some(Err(NetError::invalid_id(server)));
        };
        let l = match st.table.get_mut(h) {
            Some(Entry::Listener(l)) => l,
            Some(Entry::TlsListener(_)) => return self.tls_accept(st, op, h),
            Some(e) if e.is_public() => return Some(Err(not_listener(server))),
            _ => return Some(Err(NetError::invalid_id(server))),
        };
        if l.accepts.is_empty() {
            match l.try_accept(server) {
                Accept::Ok(sock) => return Some(Ok(Done::Socket(self.add_stream(st, sock)))),
                Accept::Err(e) => return Some(Err(e)),
                Accept::Pending => {}
            }
        }
        l.accepts.push_back(op);
        st.completions.started();
        None
    }

    /// Receives 1..=`max` bytes (empty at end of stream). `Some` if it completed at once,
    /// `None` if pending. Never allocates `max` bytes up front.
    pub fn recv(&self, op: Id, sock: Id, max: usize) -> Option<Result<Done, NetError>> {
        self.receive(op, sock, Want::Some(max.max(1)))
    }

    /// Receives the bytes up to and including `delimiter` (not empty), at most `max` of them;
    /// at end of stream what is left, then empty bytes. Bytes read past the delimiter stay
    /// for the next receive. Fails, taking nothing, if `max` bytes hold no delimiter.
    pub fn recv_until(
        &self,
        op: Id,
        sock: Id,
        delimiter: &[u8],
        max: usize,
    ) -> Option<Result<Done, NetError>> {
        if delimiter.is_empty() {
            let e = NetError::new(ErrorKind::InvalidInput, "recv_until needs a delimiter");
            return Some(Err(e));
        }
        let want = Want::Until(Box::new(Delimited {
            delimiter: delimiter.to_vec(),
            max: max.max(1),
        }));
        self.receive(op, sock, want)
    }

    fn receive(&self, op: Id, sock: Id, want: Want) -> Option<Result<Done, NetError>> {
        let mut st = self.inner.state.borrow_mut();
        let st = &mut *st;
        let r = match public_mut(&mut st.table, sock) {
            Some(Entry::Stream(s)) => recv_on(s, op, sock, want, &mut st.scratch),
            Some(Entry::TlsStream(s)) => recv_on(&mut **s, op, sock, want, &mut st.scratch),
            Some(_) => Some(Err(not_stream(sock))),
            None => Some(Err(NetError::invalid_id(sock))),
        };
        if r.is_none() {
            st.completions.started();
        }
        r
    }

    /// Sends all of `data`: `Some(Ok(Sent(len)))` if it was written at once, `None` if it is
    /// queued. Sends on one socket complete in order and never interleave.
    pub fn send(&self, op: Id, sock: Id, data: &[u8]) -> Option<Result<Done, NetError>> {
        let mut st = self.inner.state.borrow_mut();
        let st = &mut *st;
        let r = match public_mut(&mut st.table, sock) {
            Some(Entry::Stream(s)) => send_on(s, op, sock, data),
            Some(Entry::TlsStream(s)) => send_on(&mut **s, op, sock, data),
            Some(_) => Some(Err(not_stream(sock))),
            None => Some(Err(NetError::invalid_id(sock))),
        };
        if r.is_none() {
            st.completions.started();
        }
        r
    }

    /// Faults every pending operation on `id` with kind `Closed` (they appear in
    /// [`Net::take_completions`]), then closes the socket. Unknown ids are ignored.
    pub fn close(&self, id: Id) {
        let mut st = self.inner.state.borrow_mut();
        if let Some(entry) = st.udp.remove(&id) {
            for op in entry.take_waiting() {
                st.completions.push(op, Err(NetError::closed(id)));
            }
            drop(st);
            return self.inner.shared.wake_host();
        }
        if st.servers.contains_key(&id) {
            drop(st);
            return self.http_stop(id);
        }
        if public(&st.table, id).is_none() {
            return;
        }
        let Some(entry) = st.table.remove_id(id) else {
            return;
        };
        let before = st.completions.is_empty();
        st.fault_all(id, entry);
        let queued = before && !st.completions.is_empty();
        drop(st);
        if queued {
            self.inner.shared.wake_host();
        }
    }

    /// Closes the sending half: the peer reads end of stream; receiving still works. If
    /// sends are queued, the shutdown happens right after the last of them is written (a
    /// send started after `shutdown` fails with kind `Closed`).
    pub fn shutdown(&self, id: Id) -> Result<(), NetError> {
        let mut st = self.inner.state.borrow_mut();
        match public_mut(&mut st.table, id) {
            Some(Entry::Stream(s)) => shutdown_on(s, id),
            Some(Entry::TlsStream(s)) => shutdown_on(&mut **s, id),
            Some(_) => Err(not_stream(id)),
            None => Err(NetError::invalid_id(id)),
        }
    }

    /// The local address of a listener or stream.
    pub fn local_addr(&self, id: Id) -> Result<SocketAddr, NetError> {
        let st = self.inner.state.borrow();
        let r = match public(&st.table, id) {
            Some(Entry::Listener(l)) => l.sock.local_addr(),
            Some(Entry::TlsListener(l)) => l.tcp.sock.local_addr(),
            Some(Entry::Stream(s)) => s.sock.local_addr(),
            Some(Entry::TlsStream(s)) => s.sock.local_addr(),
            None => return Err(NetError::invalid_id(id)),
        };
        r.map_err(|e| NetError::io(format!("local address of socket {id}"), &e))
    }

    /// Sets socket option `name` (see [`crate::OPTION_NAMES`]) on any socket, TCP or TLS.
    pub fn set_option(&self, id: Id, name: &str, value: OptionValue) -> Result<(), NetError> {
        let st = self.inner.state.borrow();
        match public(&st.table, id) {
            Some(Entry::Listener(l)) => options::set(SockRef::from(&l.sock), name, value),
            Some(Entry::TlsListener(l)) => options::set(SockRef::from(&l.tcp.sock), name, value),
            Some(Entry::Stream(s)) => options::set(SockRef::from(&s.sock), name, value),
            Some(Entry::TlsStream(s)) => options::set(SockRef::from(&s.sock), name, value),
            None => Err(NetError::invalid_id(id)),
        }
    }

    /// Reads socket option `name` of any socket, TCP or TLS.
    pub fn get_option(&self, id: Id, name: &str) -> Result<OptionValue, NetError> {
        let st = self.inner.state.borrow();
        match public(&st.table, id) {
            Some(Entry::Listener(l)) => options::get(SockRef::from(&l.sock), name),
            Some(Entry::TlsListener(l)) => options::get(SockRef::from(&l.tcp.sock), name),
            Some(Entry::Stream(s)) => options::get(SockRef::from(&s.sock), name),
            Some(Entry::TlsStream(s)) => options::get(SockRef::from(&s.sock), name),
            None => Err(NetError::invalid_id(id)),
        }
    }

    /// The remote address of a stream.
    pub fn peer_addr(&self, id: Id) -> Result<SocketAddr, NetError> {
        let st = self.inner.state.borrow();
        let r = match public(&st.table, id) {
            Some(Entry::Stream(s)) => s.peer.map_or_else(|| s.sock.peer_addr(), Ok),
            Some(Entry::TlsStream(s)) => s.peer.map_or_else(|| s.sock.peer_addr(), Ok),
            Some(_) => return Err(not_stream(id)),
            None => return Err(NetError::invalid_id(id)),
        };
        r.map_err(|e| NetError::io(format!("peer address of socket {id}"), &e))
    }

    /// What `id` names, or `None` if it is not a live socket.
    pub fn kind(&self, id: Id) -> Option<SocketKind> {
        match public(&self.inner.state.borrow().table, id)? {
            Entry::Listener(_) => Some(SocketKind::Listener),
            Entry::Stream(_) => Some(SocketKind::Stream),
            Entry::TlsListener(_) => Some(SocketKind::TlsListener),
            Entry::TlsStream(_) => Some(SocketKind::TlsStream),
        }
    }

    /// Operations started and not yet delivered (waiting here, or queued as completions).
    pub fn pending(&self) -> usize {
        self.inner.state.borrow().completions.outstanding()
    }

    /// Performs the I/O that became possible since the last call, then appends every queued
    /// completion to `out`.
    pub fn take_completions(&self, out: &mut Vec<Completion>) {
        let mut st = self.inner.state.borrow_mut();
        self.drain(&mut st);
        st.completions.take(out);
    }

    /// Resolves once at least one completion is queued (at once if one already is).
    /// Cancel-safe: dropping it loses nothing.
    pub fn completion_ready(&self) -> impl std::future::Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            let mut st = self.inner.state.borrow_mut();
            loop {
                self.drain(&mut st);
                if !st.completions.is_empty() {
                    return Poll::Ready(());
                }
                if !self.inner.shared.register_host(cx.waker()) {
                    return Poll::Pending;
                }
            }
        })
    }

    /// Cancels operation `op` if it is still waiting, so it never completes and took nothing:
    /// a receive, accept or not-yet-started send queued on socket `on`, or with `on` = `None`
    /// one found anywhere, including a connect (its socket is closed at once). Returns what
    /// was cancelled, or `None` if `op` is not waiting (it finished, possibly with its
    /// completion not yet taken, or it cannot be stopped: a resolve or a line of input).
    pub fn cancel(&self, op: Id, on: Option<Id>) -> Option<Cancelled> {
        let mut st = self.inner.state.borrow_mut();
        let st = &mut *st;
        let cancelled = match on {
            None if st.stdin.as_mut().is_some_and(|r| r.cancel(op)) => Some(Cancelled::Queued),
            None => cancel_connect(st, op).or_else(|| {
                let socks = st.table.ids();
                (socks
                    .into_iter()
                    .any(|sock| cancel_queued(&mut st.table, sock, op))
                    || st.udp.values().any(|u| u.cancel(op))
                    || http_server::cancel_accept(&st.servers, op))
                .then_some(Cancelled::Queued)
            }),
            Some(sock) => match (st.udp.get(&sock), st.servers.contains_key(&sock)) {
                (Some(u), _) => u.cancel(op),
                (None, true) => http_server::cancel_accept(&st.servers, op),
                (None, false) => cancel_queued(&mut st.table, sock, op),
            }
            .then_some(Cancelled::Queued),
        };
        if cancelled.is_some() {
            st.completions.cancelled();
        }
        cancelled
    }

    /// Reads one line from standard input for operation `op` without blocking the thread:
    /// it completes with [`Done::Line`] (`None` at end of input). Lines go to the requests in
    /// the order they were made.
    pub fn read_line(&self, op: Id) {
        let mut st = self.inner.state.borrow_mut();
        st.completions.started();
        if st.stdin.is_none() {
            match StdinReader::start(self.inner.shared.clone()) {
                Ok(reader) => st.stdin = Some(reader),
                Err(e) => {
                    let e =
                        NetError::new(ErrorKind::Io, format!("cannot read standard input: {e}"));
                    st.completions.push(op, Err(e));
                    drop(st);
                    return self.inner.shared.wake_host();
                }
            }
        }
        let at_once = match st.stdin.as_mut().map(|r| r.request(op)) {
            Some(Ok(None)) => return,
            Some(Ok(Some(line))) => line,
            Some(Err(())) | None => Err(NetError::new(
                ErrorKind::Io,
                "cannot read standard input: reader stopped",
            )),
        };
        st.completions.push(op, at_once);
        drop(st);
        self.inner.shared.wake_host();
    }

    /// Resolves `host` to its addresses without blocking the thread (IP literals at once);
    /// completes with [`Done::Addresses`], in the resolver's order, without duplicates.
    pub fn resolve(&self, op: Id, host: &str) {
        let host = host.to_string();
        let task = self.spawn_op(op, |_| {
            Ok(async move { resolve::host_addresses(&host).await.map(Done::Addresses) })
        });
        let mut st = self.inner.state.borrow_mut();
        st.resolves.retain(|t| !t.is_finished());
        st.resolves.extend(task);
    }

    /// Starts operation `op` as a tokio task: `prepare` (given the state) makes the future
    /// whose result completes `op` through the shared lists. Without a runtime, or when
    /// `prepare` fails, `op` completes at once with the error. Gives the task, if started.
    fn spawn_op<F>(
        &self,
        op: Id,
        prepare: impl FnOnce(&mut State) -> Result<F, NetError>,
    ) -> Option<JoinHandle<()>>
    where
        F: std::future::Future<Output = Result<Done, NetError>> + Send + 'static,
    {
        let mut st = self.inner.state.borrow_mut();
        st.completions.started();
        let shared = self.inner.shared.clone();
        let work = if tokio::runtime::Handle::try_current().is_err() {
            Err(no_runtime())
        } else {
            prepare(&mut st)
        };
        match work {
            Ok(work) => Some(tokio::spawn(async move {
                let result = work.await;
                shared.push_finished((op, result));
            })),
            Err(e) => {
                st.completions.push(op, Err(e));
                drop(st);
                shared.wake_host();
                None
            }
        }
    }

    /// Runs `job` on a worker thread of the runtime's blocking pool (file I/O, processes: work
    /// that would stall this thread); completes with its result. Without a runtime it fails.
    pub fn run_blocking(&self, op: Id, job: Box<dyn FnOnce() -> Result<Done, NetError> + Send>) {
        let mut st = self.inner.state.borrow_mut();
        st.completions.started();
        let shared = self.inner.shared.clone();
        if tokio::runtime::Handle::try_current().is_err() {
            st.completions.push(op, Err(no_runtime()));
            drop(st);
            return shared.wake_host();
        }
        drop(st);
        // Not cancellable once started: a cancelled task's job still finishes, and its
        // result is dropped by the scheduler (nobody awaits it).
        drop(tokio::task::spawn_blocking(move || {
            let result = job();
            shared.push_finished((op, result));
        }));
    }

    /// How many closed connections are still lingering (see [`crate::LINGER`]).
    pub fn lingering(&self) -> usize {
        self.inner.state.borrow().lingering.count()
    }

    /// Resolves once no closed connection is lingering any more (at most [`crate::LINGER`]
    /// after the last close): the end of a script waits for this, so what it sent arrives.
    pub fn lingering_done(&self) -> impl std::future::Future<Output = ()> {
        let lingering = self.inner.state.borrow().lingering.clone();
        async move { lingering.done().await }
    }

    /// Closes every socket (their pending operations fault as in [`Net::close`]) and
    /// cancels connects in flight (they fault with kind `Closed`).
    pub fn close_all(&self) {
        let mut st = self.inner.state.borrow_mut();
        let mut ids = st.table.ids();
        ids.sort_unstable();
        for id in ids {
            if let Some(entry) = st.table.remove_id(id) {
                st.fault_all(id, entry);
            }
        }
        let mut ops: Vec<(Id, JoinHandle<()>)> = st.connects.drain().collect();
        ops.sort_unstable_by_key(|(op, _)| *op);
        for (op, task) in ops {
            task.abort();
            st.completions.push(
                op,
                Err(NetError::new(
                    ErrorKind::Closed,
                    "connect was cancelled: all sockets were closed",
                )),
            );
        }
        st.tls_connects.clear();
        let mut udp: Vec<(Id, udp::UdpEntry)> = st.udp.drain().collect();
        udp.sort_unstable_by_key(|(id, _)| *id);
        for (id, entry) in udp {
            for op in entry.take_waiting() {
                st.completions.push(op, Err(NetError::closed(id)));
            }
        }
        http_server::close_servers(&mut st.servers);
        for task in st.http.tasks.drain(..) {
            task.abort();
        }
        let queued = !st.completions.is_empty();
        drop(st);
        if queued {
            self.inner.shared.wake_host();
        }
    }

    /// Services every socket the reactor reported ready, and every finished connect.
    fn drain(&self, st: &mut State) {
        let mut ready = std::mem::take(&mut st.ready_buf);
        let mut connected = std::mem::take(&mut st.connected_buf);
        self.inner.shared.take(&mut ready, &mut connected);
        for (h, dir) in ready.drain(..) {
            match dir {
                Dir::Read => self.service_read(st, h),
                Dir::Write => self.service_write(st, h),
                Dir::Timeout => self.tls_timeout(st, h),
            }
        }
        for (op, result) in connected.drain(..) {
            // Absent: cancelled by close_all, which already delivered its completion.
            if st.connects.remove(&op).is_none() {
                continue;
            }
            if let Some(target) = st.tls_connects.remove(&op) {
                self.tls_connected(st, op, result, target);
                continue;
            }
            let result = result.map(|sock| Done::Socket(self.add_stream(st, sock)));
            st.completions.push(op, result);
        }
        st.ready_buf = ready;
        st.connected_buf = connected;
        let mut finished = std::mem::take(&mut st.finished_buf);
        self.inner.shared.take_finished(&mut finished);
        for (op, result) in finished.drain(..) {
            let to = match &mut st.stdin {
                Some(stdin) => stdin.arrived(op, result),
                None => Some((op, result)),
            };
            if let Some((op, result)) = to {
                st.completions.push(op, result);
            }
        }
        st.finished_buf = finished;
    }

    /// Serves waiting receives (stream) or accepts (listener) in order until one would block.
    fn service_read(&self, st: &mut State, h: Handle) {
        let Some(id) = st.table.id_of(h) else { return };
        loop {
            match st.table.get_mut(h) {
                Some(Entry::Stream(s)) => {
                    serve_reads(s, id, &mut st.scratch, &mut st.completions);
                    return;
                }
                Some(Entry::TlsStream(s)) if s.owner.is_none() => {
                    serve_reads(&mut **s, id, &mut st.scratch, &mut st.completions);
                    return;
                }
                Some(Entry::TlsStream(_)) => return self.tls_progress_refill(st, h),
                Some(Entry::TlsListener(_)) => return self.tls_fill(st, h),
                Some(Entry::Listener(l)) => {
                    let Some(&op) = l.accepts.front() else { return };
                    let r = match l.try_accept(id) {
                        Accept::Pending => return,
                        Accept::Ok(sock) => {
                            l.accepts.pop_front();
                            Ok(Done::Socket(self.add_stream(st, sock)))
                        }
                        Accept::Err(e) => {
                            l.accepts.pop_front();
                            Err(e)
                        }
                    };
                    st.completions.push(op, r);
                }
                None => return,
            }
        }
    }

    /// Continues queued sends (or a TLS handshake) on a writable socket.
    fn service_write(&self, st: &mut State, h: Handle) {
        let Some(id) = st.table.id_of(h) else { return };
        match st.table.get_mut(h) {
            Some(Entry::Stream(s)) => serve_writes(s, id, &mut st.completions),
            Some(Entry::TlsStream(s)) if s.owner.is_none() => {
                serve_writes(&mut **s, id, &mut st.completions)
            }
            Some(Entry::TlsStream(_)) => self.tls_progress_refill(st, h),
            _ => {}
        }
    }
}

/// A connect to a local port nobody listens on can, when the kernel happens to pick that
/// same port as the ephemeral source port, "succeed" by TCP simultaneous open: the socket is
/// connected to itself (a port scanner then reports a closed port as open). Like Go's dialer,
/// treat it as refused.
fn refuse_self_connection(stream: TcpStream) -> std::io::Result<TcpStream> {
    if stream.local_addr()? == stream.peer_addr()? {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (the socket connected to itself: nothing listens there)",
        ));
    }
    Ok(stream)
}

/// Resolves `host` and tries each address in order; the error names host:port and the last
/// OS reason.
async fn connect_any(host: &str, port: u16) -> Result<TcpStream, NetError> {
    let addrs = resolve::connect_targets(host, port).await?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr)
            .await
            .and_then(refuse_self_connection)
        {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    let what = format!("connect to {}", resolve::display(host, port));
    Err(match last {
        Some(e) => NetError::io(what, &e),
        None => NetError::new(ErrorKind::Resolve, format!("{what} failed: no addresses")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket bound to a port and then connected to that same port is connected to itself
    /// (simultaneous open); the check turns it into a refusal, and leaves a normal connection.
    #[test]
    fn a_self_connected_socket_is_refused() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let sock =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
            sock.bind(&any.into()).unwrap();
            let me = sock.local_addr().unwrap();
            sock.connect(&me).unwrap();
            sock.set_nonblocking(true).unwrap();
            let stream = TcpStream::from_std(std::net::TcpStream::from(sock)).unwrap();
            assert_eq!(stream.local_addr().unwrap(), stream.peer_addr().unwrap());
            let e = refuse_self_connection(stream).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
            assert_eq!(
                NetError::io("connect to 127.0.0.1:1", &e).kind,
                ErrorKind::Refused
            );

            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let normal = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            assert!(refuse_self_connection(normal).is_ok());
        });
    }
}
