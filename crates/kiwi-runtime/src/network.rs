//! The interpreter's network interface ([`NetDriver`]) implemented over `kiwi-net`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use kiwi_net::{Completion, Done, ErrorKind, Net, NetError};
use kiwi_vm::net::{
    blocking_result, BlockingJob, Cancelled, FailureKind, HttpReply, HttpRequest, HttpServeOptions,
    Identity, NetDriver, NetFailure, NetId, NetResult, NetValue, OptionValue, Plain, SmtpMail,
    SocketKind,
};

/// `kiwi-net` as the VM sees it. Clones of the inner [`Net`] share its state, so the host loop
/// keeps one to wait for completions while the VM owns this one.
pub struct NetAdapter {
    net: Net,
    completions: Vec<Completion>,
    /// Pending HTTP, UDP and SMTP operations: their failures raise typed Kiwi errors
    /// (`NetworkError`, `TimeoutError`, `ValueError`) instead of socket failures.
    protocol_ops: std::collections::HashSet<NetId>,
}

impl NetAdapter {
    /// Wraps `net`.
    pub fn new(net: Net) -> Self {
        NetAdapter {
            net,
            completions: Vec::new(),
            protocol_ops: std::collections::HashSet::new(),
        }
    }
}

#[inline]
fn value(done: Done) -> NetResult {
    // The per-datagram results first, moved without the general match.
    match done {
        Done::Datagram(data, from) => Ok(NetValue::Datagram(data, from)),
        Done::Sent(n) => Ok(NetValue::Sent(n)),
        other => other_value(other),
    }
}

fn other_value(done: Done) -> NetResult {
    Ok(match done {
        Done::Socket(id) => NetValue::Socket(id),
        Done::Bytes(b) => NetValue::Bytes(b),
        Done::Sent(n) => NetValue::Sent(n),
        Done::Line(line) => NetValue::Line(line),
        Done::Addresses(ips) => NetValue::Addresses(ips.iter().map(|ip| ip.to_string()).collect()),
        Done::Record(r) => NetValue::Record(r),
        Done::Datagram(data, from) => NetValue::Datagram(data, from),
        // Only `run_blocking` makes payloads, always of a job's result.
        Done::Data(payload) => {
            return match payload.get::<JobResult>() {
                Some(job) => blocking_result(job.clone()),
                None => Ok(NetValue::Data(Plain::Null)),
            }
        }
    })
}

/// The VM's view of a `kiwi-net` error. The kinds decide `tls::tcpconnect`'s negative code:
/// resolution (-1), the TCP connection (-2), the handshake (-3), the certificate (-4).
fn failure(e: NetError) -> NetFailure {
    let kind = match e.kind {
        ErrorKind::Resolve => FailureKind::Resolve,
        ErrorKind::Refused | ErrorKind::TimedOut | ErrorKind::Io | ErrorKind::Reset => {
            FailureKind::Connect
        }
        ErrorKind::Tls => FailureKind::Handshake,
        ErrorKind::CertRejected => FailureKind::CertRejected,
        ErrorKind::InvalidServerName => FailureKind::Argument,
        _ => FailureKind::Other,
    };
    NetFailure::new(kind, e.message)
}

fn result(r: Result<Done, NetError>) -> NetResult {
    r.map_err(failure).and_then(value)
}

/// The failure of an HTTP, UDP or SMTP operation, as the Kiwi error it raises.
fn protocol_failure(e: NetError) -> NetFailure {
    let kind = match e.kind {
        ErrorKind::TimedOut => "TimeoutError",
        ErrorKind::InvalidInput | ErrorKind::InvalidServerName => "ValueError",
        _ => "NetworkError",
    };
    NetFailure::new(FailureKind::Raised(kind), e.message)
}

#[inline]
fn protocol_result(r: Result<Done, NetError>) -> NetResult {
    r.map_err(protocol_failure).and_then(value)
}

/// What a blocking job hands back through `kiwi-net` (as an opaque payload).
type JobResult = Result<Plain, (&'static str, String)>;

impl NetAdapter {
    /// The result of a protocol operation that finished at once, or (pending) a note to map
    /// its failure to a protocol error when it completes.
    #[inline]
    fn protocol_op(
        &mut self,
        op: NetId,
        at_once: Option<Result<Done, NetError>>,
    ) -> Option<NetResult> {
        match at_once {
            // A datagram in or out, moved straight across: the per-datagram path.
            Some(Ok(Done::Datagram(data, from))) => Some(Ok(NetValue::Datagram(data, from))),
            Some(Ok(Done::Sent(n))) => Some(Ok(NetValue::Sent(n))),
            Some(other) => Some(protocol_result(other)),
            None => {
                self.protocol_ops.insert(op);
                None
            }
        }
    }
}

impl NetDriver for NetAdapter {
    fn run_blocking(&mut self, op: NetId, job: BlockingJob) -> Option<NetResult> {
        // The job's own failures travel inside the payload: to `kiwi-net` the job succeeded.
        self.net.run_blocking(
            op,
            Box::new(move || Ok(Done::Data(kiwi_net::Payload::new::<JobResult>(job())))),
        );
        None
    }

    fn tcp_server(
        &mut self,
        host: &str,
        port: u16,
        backlog: u32,
        reuse_port: bool,
    ) -> Result<NetId, NetFailure> {
        self.net
            .tcp_server(host, port, backlog, reuse_port)
            .map_err(failure)
    }

    fn connect(&mut self, op: NetId, host: &str, port: u16) {
        self.net.connect(op, host, port);
    }

    fn tls_server(
        &mut self,
        host: &str,
        port: u16,
        backlog: u32,
        reuse_port: bool,
        identity: Option<Identity<'_>>,
    ) -> Result<NetId, NetFailure> {
        let files = identity.map(|i| (Path::new(i.cert), Path::new(i.key)));
        self.net
            .tls_server(host, port, backlog, reuse_port, files)
            .map_err(failure)
    }

    fn tls_connect(&mut self, op: NetId, host: &str, port: u16, sni: &str) {
        self.net.tls_connect(op, host, port, sni);
    }

    fn tls_trust(&mut self, pem_path: &str) -> Result<usize, NetFailure> {
        self.net.tls_trust(Path::new(pem_path)).map_err(failure)
    }

    fn accept(&mut self, op: NetId, server: NetId) -> Option<NetResult> {
        self.net.accept(op, server).map(result)
    }

    fn recv(&mut self, op: NetId, sock: NetId, max: usize) -> Option<NetResult> {
        self.net.recv(op, sock, max).map(result)
    }

    fn recv_until(
        &mut self,
        op: NetId,
        sock: NetId,
        delimiter: &[u8],
        max: usize,
    ) -> Option<NetResult> {
        self.net.recv_until(op, sock, delimiter, max).map(result)
    }

    fn send(&mut self, op: NetId, sock: NetId, data: &[u8]) -> Option<NetResult> {
        self.net.send(op, sock, data).map(result)
    }

    fn close(&mut self, id: NetId) {
        self.net.close(id);
    }

    fn shutdown(&mut self, id: NetId) -> Result<(), NetFailure> {
        self.net.shutdown(id).map_err(failure)
    }

    fn local_addr(&self, id: NetId) -> Result<SocketAddr, NetFailure> {
        if self.net.is_http_server(id) {
            return self.net.http_local_addr(id).map_err(failure);
        }
        if self.net.is_udp(id) {
            return self.net.udp_local_addr(id).map_err(protocol_failure);
        }
        self.net.local_addr(id).map_err(failure)
    }

    fn peer_addr(&self, id: NetId) -> Result<SocketAddr, NetFailure> {
        self.net.peer_addr(id).map_err(failure)
    }

    fn kind(&self, id: NetId) -> Option<SocketKind> {
        self.net.kind(id).map(|k| match k {
            kiwi_net::SocketKind::Listener => SocketKind::Listener,
            kiwi_net::SocketKind::Stream => SocketKind::Stream,
            kiwi_net::SocketKind::TlsListener => SocketKind::TlsListener,
            kiwi_net::SocketKind::TlsStream => SocketKind::TlsStream,
        })
    }

    fn pending(&self) -> usize {
        self.net.pending()
    }

    fn take_completions(&mut self, out: &mut Vec<(NetId, NetResult)>) {
        self.net.take_completions(&mut self.completions);
        if self.protocol_ops.is_empty() {
            out.extend(self.completions.drain(..).map(|c| (c.op, result(c.result))));
            return;
        }
        for c in self.completions.drain(..) {
            let r = if self.protocol_ops.remove(&c.op) {
                protocol_result(c.result)
            } else {
                result(c.result)
            };
            out.push((c.op, r));
        }
    }

    fn http_request(&mut self, op: NetId, req: HttpRequest) -> Option<NetResult> {
        self.protocol_ops.insert(op);
        self.net.http_request(op, req);
        None
    }

    fn wants_yield(&mut self) -> bool {
        self.net.wants_yield()
    }

    fn http_timeout(&mut self, ms: u64) {
        self.net.set_http_timeout(Duration::from_millis(ms));
    }

    fn http_serve(&mut self, opts: HttpServeOptions) -> Result<NetId, NetFailure> {
        self.net.http_serve(opts).map_err(protocol_failure)
    }

    fn http_accept(&mut self, op: NetId, server: NetId) -> Option<NetResult> {
        let at_once = self.net.http_accept(op, server);
        self.protocol_op(op, at_once)
    }

    fn http_respond(
        &mut self,
        server: NetId,
        request: i64,
        reply: HttpReply,
    ) -> Result<(), NetFailure> {
        self.net
            .http_respond(server, request, reply)
            .map_err(protocol_failure)
    }

    fn http_stop(&mut self, server: NetId) {
        self.net.http_stop(server);
    }

    fn udp_socket(&mut self) -> Result<NetId, NetFailure> {
        Ok(self.net.udp_socket())
    }

    fn udp_bind(
        &mut self,
        id: NetId,
        host: &str,
        port: u16,
        reuse: bool,
    ) -> Result<(), NetFailure> {
        self.net
            .udp_bind(id, host, port, reuse)
            .map_err(protocol_failure)
    }

    fn udp_recv(&mut self, op: NetId, id: NetId, max: usize) -> Option<NetResult> {
        let at_once = self.net.udp_recv(op, id, max);
        self.protocol_op(op, at_once)
    }

    fn udp_send(
        &mut self,
        op: NetId,
        id: NetId,
        host: &str,
        port: u16,
        data: &[u8],
    ) -> Option<NetResult> {
        let at_once = self.net.udp_send(op, id, host, port, data);
        self.protocol_op(op, at_once)
    }

    fn smtp_send(&mut self, op: NetId, mail: SmtpMail) -> Option<NetResult> {
        self.protocol_ops.insert(op);
        self.net.smtp_send(op, mail);
        None
    }

    fn set_option(&mut self, id: NetId, name: &str, value: OptionValue) -> Result<(), NetFailure> {
        let value = match value {
            OptionValue::Bool(b) => kiwi_net::OptionValue::Bool(b),
            OptionValue::Int(n) => kiwi_net::OptionValue::Int(n),
            OptionValue::Off => kiwi_net::OptionValue::Off,
        };
        self.net.set_option(id, name, value).map_err(failure)
    }

    fn get_option(&self, id: NetId, name: &str) -> Result<OptionValue, NetFailure> {
        self.net
            .get_option(id, name)
            .map(|v| match v {
                kiwi_net::OptionValue::Bool(b) => OptionValue::Bool(b),
                kiwi_net::OptionValue::Int(n) => OptionValue::Int(n),
                kiwi_net::OptionValue::Off => OptionValue::Off,
            })
            .map_err(failure)
    }

    fn resolve(&mut self, op: NetId, host: &str) {
        self.net.resolve(op, host);
    }

    fn read_line(&mut self, op: NetId) {
        self.net.read_line(op);
    }

    fn cancel(&mut self, op: NetId, on: Option<NetId>) -> Option<Cancelled> {
        let cancelled = self.net.cancel(op, on);
        if cancelled.is_some() {
            self.protocol_ops.remove(&op);
        }
        cancelled.map(|c| match c {
            kiwi_net::Cancelled::Connect => Cancelled::Connect,
            kiwi_net::Cancelled::Handshake => Cancelled::Handshake,
            kiwi_net::Cancelled::Queued => Cancelled::Queued,
        })
    }
}
