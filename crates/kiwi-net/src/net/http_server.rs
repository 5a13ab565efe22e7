//! The HTTP server side of [`Net`]: hyper speaks the protocol, scripts answer the requests.
//!
//! A server is a listener task plus one tokio task per connection (hyper's model: HTTP/1.1
//! keep-alive and pipelining, HTTP/2 prior knowledge and by ALPN over TLS). This is the one
//! place where kiwi-net keeps a task per connection; the protocol state machines live in
//! hyper, and the tasks only touch the script through the exchange below.
//!
//! The exchange pairs requests with the script's accepts. A connection task that has read a
//! whole request (head within `max_head`, body within `max_body` and `body_timeout`) files
//! it under a fresh request id with a one-shot channel for the reply, and either completes
//! the oldest waiting accept (through the shared lists, like a connect) or queues it. The
//! script answers with [`Net::http_respond`]; the task writes the reply. Limits are enforced
//! before the script sees anything: an over-long head is answered 431 by hyper, a body over
//! the limit 413, a body that does not arrive in time 408, and a head that does not arrive
//! within `header_timeout` closes the connection, so slow or hostile clients cost the script
//! nothing.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::{no_runtime, Net};
use crate::tls_config::{dev_identity, load_server_config};
use crate::wake::Shared;
use crate::{resolve, Done, ErrorKind, HttpReply, HttpServeOptions, Id, NetError, Record};

/// How long a stopping server lets in-flight requests finish before closing their
/// connections.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How many requests may be with the script (queued or being handled) at once.
const MAX_IN_FLIGHT: usize = 4096;

/// How many replies the script may hand over before the host yields so they get written.
const REPLIES_PER_FLUSH: u32 = 4;

/// How long a TLS client may take over its handshake.
const TLS_ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);

type Reply = Response<Full<Bytes>>;

/// Requests waiting for the script, accepts waiting for requests, replies owed.
#[derive(Default)]
struct Exchange {
    queue: VecDeque<Record>,
    waiting: VecDeque<Id>,
    replies: super::IdMap<oneshot::Sender<Reply>>,
    next_request: i64,
    /// Stopped and drained: accepts fail, new requests get 503.
    closed: bool,
}

/// What the listener and connection tasks share with the `Net`.
struct ServerShared {
    exchange: Mutex<Exchange>,
    net: Arc<Shared>,
    opts: HttpServeOptions,
    /// One permit per request handed to the script and not yet answered. When the script
    /// falls behind, further requests wait here, so their connections stop being read
    /// (backpressure) instead of queueing without bound.
    in_flight: tokio::sync::Semaphore,
}

impl ServerShared {
    fn lock(&self) -> MutexGuard<'_, Exchange> {
        self.exchange.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops taking requests: waiting accepts fail, replies still owed are dropped (their
    /// clients get 503).
    fn close(&self, id: Id) {
        let mut ex = self.lock();
        ex.closed = true;
        ex.replies.clear();
        ex.queue.clear();
        // Requests waiting for a permit get 503 at once.
        self.in_flight.close();
        for op in ex.waiting.drain(..) {
            self.net.push_finished((op, Err(NetError::closed(id))));
        }
    }
}

/// One server in the `Net`'s table.
pub(super) struct ServerEntry {
    shared: Arc<ServerShared>,
    local: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Drop for ServerEntry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn status_reply(status: StatusCode, text: &'static str) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Header map as the script reads it: lower-case names; repeats joined (cookies with "; ").
/// The client's responses use it too (reqwest's `HeaderMap` is the same `http` type).
pub(super) fn header_record(headers: &hyper::HeaderMap) -> Record {
    let mut out: Vec<(Cow<'static, str>, Record)> = Vec::with_capacity(headers.keys_len());
    for (name, value) in headers {
        let value = match std::str::from_utf8(value.as_bytes()) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        };
        // A repeated header's values are joined into one (cookies with "; ").
        if let Some((_, Record::Str(joined))) = out.iter_mut().find(|(n, _)| n == name.as_str()) {
            joined.push_str(if name == hyper::header::COOKIE {
                "; "
            } else {
                ", "
            });
            joined.push_str(&value);
        } else {
            out.push((header_name(name), Record::Str(value)));
        }
    }
    Record::Map(out)
}

/// Header names most messages carry, kept as static texts: a record of them allocates no
/// names, and the interpreter shares one string for each.
const COMMON_HEADERS: [&str; 16] = [
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "accept-language",
    "connection",
    "content-type",
    "content-length",
    "cookie",
    "authorization",
    "date",
    "server",
    "cache-control",
    "transfer-encoding",
    "origin",
    "referer",
];

fn header_name(name: &hyper::header::HeaderName) -> Cow<'static, str> {
    let name = name.as_str();
    known_text(&COMMON_HEADERS, name).map_or_else(|| Cow::Owned(name.to_owned()), Cow::Borrowed)
}

/// `text` as the static text in `known` that equals it, if one does.
fn known_text(known: &[&'static str], text: &str) -> Option<&'static str> {
    known.iter().copied().find(|k| *k == text)
}

fn query_record(query: Option<&str>) -> Record {
    let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()));
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        // The last value of a repeated parameter wins, as in a hashmap assignment.
        match out.iter_mut().find(|(n, _)| *n == k) {
            Some((_, old)) => *old = v,
            None => out.push((k, v)),
        }
    }
    Record::string_map(out)
}

// A request record is a list: id, server, method, path, query (map), version, headers
// (map), body, remote_addr, remote_port. The httpserver package reads it by position.

fn version_text(v: hyper::Version) -> &'static str {
    match v {
        hyper::Version::HTTP_09 => "HTTP/0.9",
        hyper::Version::HTTP_10 => "HTTP/1.0",
        hyper::Version::HTTP_2 => "HTTP/2.0",
        hyper::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// The standard methods as static text (no allocation per request), others as they came.
fn method_record(m: &hyper::Method) -> Record {
    const KNOWN: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    known_text(&KNOWN, m.as_str()).map_or_else(|| Record::str(m.as_str()), Record::Static)
}

/// Reads one request whole and hands it to the script; answers with the script's reply.
async fn handle(
    req: Request<Incoming>,
    shared: Arc<ServerShared>,
    peer: SocketAddr,
    server: Id,
) -> Result<Reply, Infallible> {
    let opts = &shared.opts;
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > opts.max_body as u64) {
        return Ok(status_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
        ));
    }
    let (parts, body) = req.into_parts();
    let body = if hyper::body::Body::is_end_stream(&body) {
        // No body (most GETs): no timer, no collection.
        Bytes::new()
    } else {
        match tokio::time::timeout(
            opts.body_timeout,
            Limited::new(body, opts.max_body).collect(),
        )
        .await
        {
            Err(_) => return Ok(status_reply(StatusCode::REQUEST_TIMEOUT, "Request Timeout")),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                return Ok(status_reply(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Payload Too Large",
                ))
            }
            // The client went away or broke the framing: nobody to answer.
            Ok(Err(_)) => return Ok(status_reply(StatusCode::BAD_REQUEST, "Bad Request")),
            Ok(Ok(b)) => b.to_bytes(),
        }
    };
    // Held until the reply is written (the end of this function).
    let Ok(_permit) = shared.in_flight.acquire().await else {
        return Ok(status_reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
        ));
    };
    let (tx, rx) = oneshot::channel();
    {
        let mut ex = shared.lock();
        if ex.closed {
            return Ok(status_reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
            ));
        }
        ex.next_request += 1;
        let id = ex.next_request;
        ex.replies.insert(id, tx);
        // A list, not a map: positions cost nothing to build or read, and the script sees
        // it only through the httpserver package (see REQUEST_FIELDS).
        let record = Record::List(vec![
            Record::Int(id),
            Record::Int(server),
            method_record(&parts.method),
            Record::str(parts.uri.path()),
            query_record(parts.uri.query()),
            Record::Static(version_text(parts.version)),
            header_record(&parts.headers),
            Record::text_or_bytes(body.to_vec()),
            Record::Str(resolve::ip_text(&peer)),
            Record::Int(i64::from(peer.port())),
        ]);
        match ex.waiting.pop_front() {
            Some(op) => shared.net.push_finished((op, Ok(Done::Record(record)))),
            None => ex.queue.push_back(record),
        }
    }
    Ok(rx
        .await
        .unwrap_or_else(|_| status_reply(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")))
}

fn protocol_builder(opts: &HttpServeOptions) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout)
        .max_buf_size(opts.max_head.max(8192))
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(opts.max_head).unwrap_or(u32::MAX));
    b
}

/// Serves one connection until it closes (or the server stops and it finished its request).
async fn serve_conn<S>(
    io: S,
    shared: Arc<ServerShared>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    watcher: hyper_util::server::graceful::Watcher,
    peer: SocketAddr,
    server: Id,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| handle(req, shared.clone(), peer, server));
    let conn = builder.serve_connection(TokioIo::new(io), svc).into_owned();
    // A failed connection (reset, timeout, malformed request) concerns only its client.
    let _ = watcher.watch(conn).await;
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<ServerShared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
    server: Id,
) {
    let builder = Arc::new(protocol_builder(&shared.opts));
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        let (sock, peer) = match accepted {
            Ok(x) => x,
            // Out of descriptors (or a connection that died in the backlog): wait a moment
            // instead of spinning; the backlog keeps the rest.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = sock.set_nodelay(true);
        let (shared, builder, watcher) = (shared.clone(), builder.clone(), graceful.watcher());
        match &tls {
            None => drop(tokio::spawn(serve_conn(
                sock, shared, builder, watcher, peer, server,
            ))),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                drop(tokio::spawn(async move {
                    let hs = tokio::time::timeout(TLS_ACCEPT_TIMEOUT, acceptor.accept(sock));
                    if let Ok(Ok(stream)) = hs.await {
                        serve_conn(stream, shared, builder, watcher, peer, server).await;
                    }
                }));
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(STOP_GRACE, graceful.shutdown()).await;
    shared.close(server);
}

fn tls_acceptor(opts: &HttpServeOptions) -> Result<Option<tokio_rustls::TlsAcceptor>, NetError> {
    if !opts.tls {
        return Ok(None);
    }
    let base = match &opts.cert_key {
        Some((cert, key)) => load_server_config(cert, key)?,
        None => dev_identity().server.clone(),
    };
    let mut config = (*base).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
}

impl Net {
    /// Starts an HTTP server; gives its id. Requests reach the script through
    /// [`Net::http_accept`] and are answered with [`Net::http_respond`].
    pub fn http_serve(&self, opts: HttpServeOptions) -> Result<Id, NetError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(no_runtime());
        }
        let tls = tls_acceptor(&opts)?;
        let listener = self.bind_listener(&opts.host, opts.port, opts.backlog, opts.reuse_port)?;
        let local = listener
            .local_addr()
            .map_err(|e| NetError::io("local address", &e))?;
        let id = self.next_id();
        let shared = Arc::new(ServerShared {
            exchange: Mutex::default(),
            net: self.inner.shared.clone(),
            opts,
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
        });
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared.clone(), tls, stop_rx, id));
        self.inner.state.borrow_mut().servers.insert(
            id,
            ServerEntry {
                shared,
                local,
                stop,
                task,
            },
        );
        Ok(id)
    }

    /// The next request of server `server`: `Some` with [`Done::Record`] if one is waiting,
    /// `None` if the accept is pending. A stopped server's accepts fail with kind `Closed` once
    /// its in-flight requests are done.
    pub fn http_accept(&self, op: Id, server: Id) -> Option<Result<Done, NetError>> {
        let mut st = self.inner.state.borrow_mut();
        let Some(entry) = st.servers.get(&server) else {
            return Some(Err(NetError::invalid_id(server)));
        };
        let mut ex = entry.shared.lock();
        if let Some(rec) = ex.queue.pop_front() {
            return Some(Ok(Done::Record(rec)));
        }
        if ex.closed {
            // Stopped and drained: nothing can use the entry any more.
            drop(ex);
            st.servers.remove(&server);
            return Some(Err(NetError::closed(server)));
        }
        ex.waiting.push_back(op);
        drop(ex);
        st.completions.started();
        None
    }

    /// Answers request `request` of server `server`. An unknown or already answered request,
    /// or an invalid status or header, is an error of kind `InvalidInput`.
    pub fn http_respond(&self, server: Id, request: i64, reply: HttpReply) -> Result<(), NetError> {
        let st = self.inner.state.borrow();
        let Some(entry) = st.servers.get(&server) else {
            return Err(NetError::invalid_id(server));
        };
        let invalid = |m: String| NetError::new(ErrorKind::InvalidInput, m);
        let status = StatusCode::from_u16(reply.status)
            .map_err(|_| invalid(format!("invalid HTTP status {}", reply.status)))?;
        let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
        *resp.status_mut() = status;
        let headers = resp.headers_mut();
        if let Some(ct) = reply.content_type {
            headers.insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(ct),
            );
        }
        for (name, value) in reply.headers {
            // Nearly every reply has just this one; it needs no parsing.
            let n = if name == "content-type" {
                hyper::header::CONTENT_TYPE
            } else {
                hyper::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| invalid(format!("invalid header name {name:?}")))?
            };
            let v = hyper::header::HeaderValue::from_str(&value)
                .map_err(|_| invalid(format!("invalid value for header {name}: {value:?}")))?;
            if n == hyper::header::CONTENT_LENGTH {
                continue; // hyper sets it from the body
            }
            headers.append(n, v);
        }
        let sender = entry
            .shared
            .lock()
            .replies
            .remove(&request)
            .ok_or_else(|| {
                invalid(format!(
                    "request {request} of server {server} is unknown or was already answered"
                ))
            })?;
        // The client may have gone away meanwhile; that is not the script's error.
        let _ = sender.send(resp);
        drop(st);
        self.inner.state.borrow_mut().unflushed_replies += 1;
        Ok(())
    }

    /// Whether the host should let the runtime run now: enough HTTP replies are waiting for
    /// their connection tasks to write them. Answering a burst of requests in one go and only
    /// then writing every reply makes clients and server take turns idling (a convoy); writing
    /// every few replies keeps both busy. Resets the count when it says yes.
    pub fn wants_yield(&self) -> bool {
        let mut st = self.inner.state.borrow_mut();
        if st.unflushed_replies >= REPLIES_PER_FLUSH {
            st.unflushed_replies = 0;
            return true;
        }
        false
    }

    /// Stops server `server`: no new connections; requests in flight are finished (for up to
    /// 10 s) and idle connections closed, then its accepts fail. Unknown ids are ignored.
    pub fn http_stop(&self, server: Id) {
        if let Some(entry) = self.inner.state.borrow().servers.get(&server) {
            let _ = entry.stop.send(true);
        }
    }

    /// The address server `server` listens on.
    pub fn http_local_addr(&self, server: Id) -> Result<SocketAddr, NetError> {
        self.inner
            .state
            .borrow()
            .servers
            .get(&server)
            .map(|e| e.local)
            .ok_or_else(|| NetError::invalid_id(server))
    }

    /// Whether `id` names an HTTP server.
    pub fn is_http_server(&self, id: Id) -> bool {
        self.inner.state.borrow().servers.contains_key(&id)
    }

    /// Binds a tokio listener (SO_REUSEPORT on request) on the first address of `host` that
    /// works.
    pub(super) fn bind_listener(
        &self,
        host: &str,
        port: u16,
        backlog: u32,
        reuse_port: bool,
    ) -> Result<TcpListener, NetError> {
        let mut last = None;
        for target in resolve::bind_targets(host, port)? {
            match crate::listener::bind(target.addr, target.v6only, backlog, reuse_port) {
                Ok(sock) => return Ok(sock),
                Err(e) => {
                    last = Some(NetError::io(
                        format!("listen on {}", resolve::display(host, port)),
                        &e,
                    ))
                }
            }
        }
        Err(last
            .unwrap_or_else(|| NetError::new(ErrorKind::Resolve, format!("cannot resolve {host}"))))
    }
}

/// Removes `op` from the waiting accepts of any server; whether it was there.
pub(super) fn cancel_accept(servers: &super::IdMap<ServerEntry>, op: Id) -> bool {
    servers.values().any(|s| {
        let mut ex = s.shared.lock();
        match ex.waiting.iter().position(|&o| o == op) {
            Some(i) => ex.waiting.remove(i).is_some(),
            None => false,
        }
    })
}

/// Closes every server at once (the end of a session): accepts fail, connections drop.
pub(super) fn close_servers(servers: &mut super::IdMap<ServerEntry>) {
    let mut ids: Vec<Id> = servers.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        if let Some(s) = servers.remove(&id) {
            s.shared.close(id);
        }
    }
}
