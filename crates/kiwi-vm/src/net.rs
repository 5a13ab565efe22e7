//! The VM's view of the network: an interface the host implements.
//!
//! `kiwi-vm` knows no sockets and no tokio. The `socket` package's natives call a
//! [`NetDriver`] that the host installs with [`crate::Interp::set_net`]: `kiwi-runtime` backs it
//! with `kiwi-net`, the deterministic scheduler tests with an in-memory fake. Operations that
//! cannot finish at once complete later through [`NetDriver::take_completions`], which the VM
//! drains between task slices, so a completion wakes its awaiting task without polling.

use std::io::BufRead;
use std::net::SocketAddr;

pub use kiwi_proto::{HttpReply, HttpRequest, HttpServeOptions, Record, SmtpMail, SmtpSecurity};

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
    /// A line of standard input (with its line ending); `None` at end of input.
    Line(Option<String>),
    /// The addresses a name resolved to (`"127.0.0.1"`, `"::1"`).
    Addresses(Vec<String>),
    /// What a blocking job ([`NetDriver::run_blocking`]) produced.
    Data(Plain),
    /// What a protocol operation produced (an HTTP request or response, a mail receipt),
    /// made into a Kiwi value as it is, with no copy in between.
    Record(Record),
    /// A UDP datagram and its sender: `{data, from_host, from_port}`.
    Datagram(Vec<u8>, std::net::SocketAddr),
}

/// The Kiwi value of a protocol record. `shared` gives the one string value of a static text
/// (the interpreter's name constants, so a script's `p["data"]` finds the key by pointer); it
/// must give the same `Rc` for equal texts up to [`crate::compiler::SHORT_STRING`] bytes, as
/// repeated field names are told by pointer.
pub fn record_value(
    r: Record,
    shared: &mut dyn FnMut(&'static str) -> std::rc::Rc<crate::text::Text>,
) -> crate::value::Value {
    use crate::value::{Key, Map, Value};
    use std::borrow::Cow;
    use std::rc::Rc;
    match r {
        Record::Null => Value::Null,
        Record::Bool(b) => Value::Bool(b),
        Record::Int(i) => Value::Int(i),
        Record::Str(s) => Value::str(s),
        Record::Static(s) => Value::Str(shared(s)),
        Record::Bytes(b) => Value::bytes(b),
        Record::List(items) => {
            Value::list(items.into_iter().map(|r| record_value(r, shared)).collect())
        }
        Record::Map(fields) => {
            let mut map = Map::with_capacity(fields.len());
            for (k, v) in fields {
                let v = record_value(v, shared);
                match k {
                    Cow::Borrowed(s) => {
                        let name = shared(s);
                        // Short names are interned: a name given twice is the same `Rc`, so
                        // comparing pointers tells a new name without comparing texts.
                        let repeated = name.len() > crate::compiler::SHORT_STRING
                            || map.keys().any(
                                |k| matches!(&k.0, Value::Str(seen) if Rc::ptr_eq(seen, &name)),
                            );
                        if repeated {
                            map.insert(Key(Value::Str(name)), v);
                        } else {
                            map.insert_new(Key(Value::Str(name)), v);
                        }
                    }
                    Cow::Owned(s) => {
                        map.insert(Key(Value::str(s)), v);
                    }
                }
            }
            Value::map(map)
        }
    }
}

/// Plain data that can cross threads: what a blocking job (a file read, a directory listing,
/// a process's output) hands back, made into a Kiwi value on the interpreter's thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Plain>),
    /// A hashmap with string keys, in order.
    Map(Vec<(String, Plain)>),
    /// A date (see [`crate::date`]).
    Date(i64),
}

impl Eq for Plain {}

impl Plain {
    /// The Kiwi value.
    pub fn into_value(self) -> crate::value::Value {
        use crate::value::{Key, Map, Value};
        match self {
            Plain::Null => Value::Null,
            Plain::Bool(b) => Value::Bool(b),
            Plain::Int(i) => Value::Int(i),
            Plain::Float(f) => Value::Float(f),
            Plain::Str(s) => Value::str(s),
            Plain::Bytes(b) => Value::bytes(b),
            Plain::Date(ms) => Value::Date(ms),
            Plain::List(items) => Value::list(items.into_iter().map(Plain::into_value).collect()),
            Plain::Map(entries) => Value::map(
                entries
                    .into_iter()
                    .map(|(k, v)| (Key(Value::str(k)), v.into_value()))
                    .collect::<Map>(),
            ),
        }
    }
}

/// Work that may block (files, processes): run off the interpreter's thread by the host. `Err`
/// is the Kiwi error it raises: its type (`"IOError"`) and message.
pub type BlockingJob = Box<dyn FnOnce() -> Result<Plain, (&'static str, String)> + Send>;

/// Why an operation failed: a kind (for the `tls::tcpconnect` codes) and a one-line reason
/// (an OS reason, a closed socket, a bad id, a rejected certificate...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetFailure {
    /// What went wrong, broadly.
    pub kind: FailureKind,
    /// The reason, one line.
    pub message: String,
}

/// The broad cause of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The host name did not resolve.
    Resolve,
    /// The TCP connection could not be made.
    Connect,
    /// The TLS handshake failed (protocol error, peer hung up, timeout).
    Handshake,
    /// The peer's certificate was rejected.
    CertRejected,
    /// The script passed a value that cannot work (a TLS server name that is not a DNS name
    /// or an IP address): `tls::tcpconnect` raises a `ValueError` instead of a code.
    Argument,
    /// A blocking job failed: raise a Kiwi error of this type.
    Raised(&'static str),
    /// Anything else.
    Other,
}

impl NetFailure {
    /// A failure of `kind` with `message`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        NetFailure {
            kind,
            message: message.into(),
        }
    }

    /// The negative number `tls::tcpconnect` returns for this failure.
    pub fn tls_code(&self) -> i64 {
        match self.kind {
            FailureKind::Resolve => -1,
            FailureKind::Connect => -2,
            FailureKind::Handshake
            | FailureKind::Argument
            | FailureKind::Raised(_)
            | FailureKind::Other => -3,
            FailureKind::CertRejected => -4,
        }
    }
}

impl From<String> for NetFailure {
    fn from(message: String) -> Self {
        NetFailure::new(FailureKind::Other, message)
    }
}

impl From<&str> for NetFailure {
    fn from(message: &str) -> Self {
        NetFailure::new(FailureKind::Other, message)
    }
}

impl std::fmt::Display for NetFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How an operation ended.
pub type NetResult = Result<NetValue, NetFailure>;

/// What a live socket id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// A listening TCP socket.
    Listener,
    /// A connected TCP stream.
    Stream,
    /// A listening TLS socket.
    TlsListener,
    /// A TLS connection (handshake done).
    TlsStream,
}

/// A socket option's value (`socket::setopt` / `getopt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionValue {
    /// `true` / `false`.
    Bool(bool),
    /// A number (bytes, seconds).
    Int(i64),
    /// Off (`null`).
    Off,
}

/// What [`NetDriver::cancel`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// A connect, during its TCP connect.
    Connect,
    /// A TLS connect, during its handshake.
    Handshake,
    /// A receive, accept or send that was waiting in a socket's queue.
    Queued,
}

/// A server's certificate chain and key, as PEM file paths.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    /// The certificate chain (leaf first).
    pub cert: &'a str,
    /// The private key (PKCS#8, RSA or SEC1).
    pub key: &'a str,
}

/// The host's network, as the `socket` natives use it.
///
/// Every operation id handed to `connect`, `accept`, `recv` or `send` gets exactly one result:
/// either returned at once (`Some`) or later from [`NetDriver::take_completions`].
pub trait NetDriver {
    /// Binds and listens (with `reuse_port`, SO_REUSEPORT); returns the new listener's id.
    fn tcp_server(
        &mut self,
        host: &str,
        port: u16,
        backlog: u32,
        reuse_port: bool,
    ) -> Result<NetId, NetFailure>;
    /// Starts connecting; completes with [`NetValue::Socket`].
    fn connect(&mut self, op: NetId, host: &str, port: u16);
    /// Binds a TLS listener presenting `identity` (or the process's development certificate).
    fn tls_server(
        &mut self,
        host: &str,
        port: u16,
        backlog: u32,
        reuse_port: bool,
        identity: Option<Identity<'_>>,
    ) -> Result<NetId, NetFailure>;
    /// Connects and completes a verified TLS handshake for server name `sni` (or `host` when
    /// empty); completes with [`NetValue::Socket`].
    fn tls_connect(&mut self, op: NetId, host: &str, port: u16, sni: &str);
    /// Adds the CA certificates of a PEM file to the trust of later TLS connects; returns how
    /// many were added.
    fn tls_trust(&mut self, pem_path: &str) -> Result<usize, NetFailure>;
    /// Accepts one connection on `server`; completes with [`NetValue::Socket`].
    fn accept(&mut self, op: NetId, server: NetId) -> Option<NetResult>;
    /// Receives 1..=`max` bytes (empty at end of stream).
    fn recv(&mut self, op: NetId, sock: NetId, max: usize) -> Option<NetResult>;
    /// Receives the bytes up to and including `delimiter`, at most `max` of them (what is
    /// left at end of stream, then empty); bytes after it stay for the next receive.
    fn recv_until(
        &mut self,
        op: NetId,
        sock: NetId,
        delimiter: &[u8],
        max: usize,
    ) -> Option<NetResult>;
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
    /// Sets socket option `name` (`nodelay`, `keepalive`, `recv_buffer`, `send_buffer`,
    /// `linger`) on socket `id`.
    fn set_option(&mut self, id: NetId, name: &str, value: OptionValue) -> Result<(), NetFailure>;
    /// Reads socket option `name` of socket `id`.
    fn get_option(&self, id: NetId, name: &str) -> Result<OptionValue, NetFailure>;
    /// Reads one line of standard input without blocking the thread; completes with
    /// [`NetValue::Line`].
    fn read_line(&mut self, op: NetId);
    /// Resolves `host` without blocking the thread; completes with [`NetValue::Addresses`].
    fn resolve(&mut self, op: NetId, host: &str);
    /// Cancels operation `op` if it is still waiting (a connect when `on` is `None`, else a
    /// receive, accept or unstarted send on socket `on`): it then never completes and took
    /// nothing. `None` if it is not waiting (its completion may still be on its way).
    fn cancel(&mut self, op: NetId, on: Option<NetId>) -> Option<Cancelled>;
    /// Appends every finished operation to `out`.
    fn take_completions(&mut self, out: &mut Vec<(NetId, NetResult)>);
    /// Runs `job` where it cannot block the interpreter's thread; completes with
    /// [`NetValue::Data`]. This default runs it at once (for hosts without worker threads).
    fn run_blocking(&mut self, _op: NetId, job: BlockingJob) -> Option<NetResult> {
        Some(blocking_result(job()))
    }
    /// Makes an HTTP request; completes with [`NetValue::Record`], the response map.
    fn http_request(&mut self, _op: NetId, _req: HttpRequest) -> Option<NetResult> {
        Some(Err(unsupported("HTTP")))
    }
    /// Sets the timeout of later HTTP requests that set none (0: the default).
    fn http_timeout(&mut self, _ms: u64) {}
    /// Whether the interpreter should end its round early so the host can write what the
    /// script produced (HTTP replies waiting for their connections).
    fn wants_yield(&mut self) -> bool {
        false
    }
    /// Starts an HTTP server; its id.
    fn http_serve(&mut self, _opts: HttpServeOptions) -> Result<NetId, NetFailure> {
        Err(unsupported("HTTP"))
    }
    /// The next request of an HTTP server; completes with [`NetValue::Record`], the request map.
    fn http_accept(&mut self, _op: NetId, _server: NetId) -> Option<NetResult> {
        Some(Err(unsupported("HTTP")))
    }
    /// Answers request `request` of HTTP server `server`.
    fn http_respond(
        &mut self,
        _server: NetId,
        _request: i64,
        _reply: HttpReply,
    ) -> Result<(), NetFailure> {
        Err(unsupported("HTTP"))
    }
    /// Stops an HTTP server gracefully (in-flight requests finish, then accepts fail).
    fn http_stop(&mut self, _server: NetId) {}
    /// A new unbound UDP socket.
    fn udp_socket(&mut self) -> Result<NetId, NetFailure> {
        Err(unsupported("UDP"))
    }
    /// Binds a UDP socket.
    fn udp_bind(
        &mut self,
        _id: NetId,
        _host: &str,
        _port: u16,
        _reuse: bool,
    ) -> Result<(), NetFailure> {
        Err(unsupported("UDP"))
    }
    /// Receives one datagram; completes with [`NetValue::Record`] `{data, from_host, from_port}`.
    fn udp_recv(&mut self, _op: NetId, _id: NetId, _max: usize) -> Option<NetResult> {
        Some(Err(unsupported("UDP")))
    }
    /// Sends one datagram; completes with [`NetValue::Sent`].
    fn udp_send(
        &mut self,
        _op: NetId,
        _id: NetId,
        _host: &str,
        _port: u16,
        _data: &[u8],
    ) -> Option<NetResult> {
        Some(Err(unsupported("UDP")))
    }
    /// Sends a mail; completes with [`NetValue::Record`] `{ok, code, message}`.
    fn smtp_send(&mut self, _op: NetId, _mail: SmtpMail) -> Option<NetResult> {
        Some(Err(unsupported("SMTP")))
    }
}

fn unsupported(what: &str) -> NetFailure {
    NetFailure::new(
        FailureKind::Other,
        format!("{what} is not available in this host"),
    )
}

/// A blocking job's result as an operation result.
pub fn blocking_result(r: Result<Plain, (&'static str, String)>) -> NetResult {
    r.map(NetValue::Data)
        .map_err(|(kind, message)| NetFailure::new(FailureKind::Raised(kind), message))
}

/// The driver of an interpreter that has no network (embedding without a host runtime):
/// every operation fails with the same reason.
#[derive(Default)]
pub struct NoNetwork {
    failed_connects: Vec<NetId>,
    lines: Vec<(NetId, NetResult)>,
}

fn no_network() -> NetFailure {
    NO_NETWORK.into()
}

const NO_NETWORK: &str = "networking is not available in this host";

impl NetDriver for NoNetwork {
    fn tcp_server(&mut self, _: &str, _: u16, _: u32, _: bool) -> Result<NetId, NetFailure> {
        Err(no_network())
    }
    fn connect(&mut self, op: NetId, _: &str, _: u16) {
        self.failed_connects.push(op);
    }
    fn tls_server(
        &mut self,
        _: &str,
        _: u16,
        _: u32,
        _: bool,
        _: Option<Identity<'_>>,
    ) -> Result<NetId, NetFailure> {
        Err(no_network())
    }
    fn tls_connect(&mut self, op: NetId, _: &str, _: u16, _: &str) {
        self.failed_connects.push(op);
    }
    fn tls_trust(&mut self, _: &str) -> Result<usize, NetFailure> {
        Err(no_network())
    }
    fn accept(&mut self, _: NetId, _: NetId) -> Option<NetResult> {
        Some(Err(no_network()))
    }
    fn recv(&mut self, _: NetId, _: NetId, _: usize) -> Option<NetResult> {
        Some(Err(no_network()))
    }
    fn recv_until(&mut self, _: NetId, _: NetId, _: &[u8], _: usize) -> Option<NetResult> {
        Some(Err(no_network()))
    }
    fn send(&mut self, _: NetId, _: NetId, _: &[u8]) -> Option<NetResult> {
        Some(Err(no_network()))
    }
    fn close(&mut self, _: NetId) {}
    fn shutdown(&mut self, _: NetId) -> Result<(), NetFailure> {
        Err(no_network())
    }
    fn local_addr(&self, _: NetId) -> Result<SocketAddr, NetFailure> {
        Err(no_network())
    }
    fn peer_addr(&self, _: NetId) -> Result<SocketAddr, NetFailure> {
        Err(no_network())
    }
    fn kind(&self, _: NetId) -> Option<SocketKind> {
        None
    }
    fn pending(&self) -> usize {
        self.failed_connects.len() + self.lines.len()
    }
    /// Without a host runtime there is nothing to wait with: the line is read at once (the
    /// whole interpreter waits for it).
    fn read_line(&mut self, op: NetId) {
        let mut line = String::new();
        let result = match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) => Ok(NetValue::Line(None)),
            Ok(_) => Ok(NetValue::Line(Some(line))),
            Err(e) => Err(NetFailure::from(format!("cannot read standard input: {e}"))),
        };
        self.lines.push((op, result));
    }
    fn take_completions(&mut self, out: &mut Vec<(NetId, NetResult)>) {
        out.extend(
            self.failed_connects
                .drain(..)
                .map(|op| (op, Err(no_network()))),
        );
        out.append(&mut self.lines);
    }
    fn cancel(&mut self, _: NetId, _: Option<NetId>) -> Option<Cancelled> {
        None
    }
    fn set_option(&mut self, _: NetId, _: &str, _: OptionValue) -> Result<(), NetFailure> {
        Err(no_network())
    }
    fn get_option(&self, _: NetId, _: &str) -> Result<OptionValue, NetFailure> {
        Err(no_network())
    }
    fn resolve(&mut self, op: NetId, _: &str) {
        self.failed_connects.push(op);
    }
}

#[cfg(test)]
mod tests {
    use super::{record_value, Record};
    use crate::format::to_display;
    use std::borrow::Cow;
    use std::collections::HashMap;
    use std::rc::Rc;

    #[test]
    fn a_repeated_field_name_replaces_the_first_in_its_place() {
        let mut interned: HashMap<&'static str, Rc<crate::text::Text>> = HashMap::new();
        let mut shared = |s: &'static str| {
            interned
                .entry(s)
                .or_insert_with(|| Rc::new(crate::text::Text::from(s)))
                .clone()
        };
        let r = Record::Map(vec![
            (Cow::Borrowed("a"), Record::Int(1)),
            (Cow::Borrowed("b"), Record::Int(2)),
            (Cow::Owned("b".to_string()), Record::Int(3)),
            (Cow::Borrowed("a"), Record::Int(4)),
            (Cow::Owned("c".to_string()), Record::Int(5)),
        ]);
        let v = record_value(r, &mut shared);
        assert_eq!(to_display(&v), r#"{"a": 4, "b": 3, "c": 5}"#);
    }
}
