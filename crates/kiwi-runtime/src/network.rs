//! The interpreter's network interface ([`NetDriver`]) implemented over `kiwi-net`.

use std::net::SocketAddr;
use std::path::Path;

use kiwi_net::{Completion, Done, ErrorKind, Net, NetError};
use kiwi_vm::net::{
    blocking_result, BlockingJob, Cancelled, FailureKind, Identity, NetDriver, NetFailure, NetId,
    NetResult, NetValue, OptionValue, Plain, SocketKind,
};

/// `kiwi-net` as the VM sees it. Clones of the inner [`Net`] share its state, so the host loop
/// keeps one to wait for completions while the VM owns this one.
pub struct NetAdapter {
    net: Net,
    completions: Vec<Completion>,
}

impl NetAdapter {
    /// Wraps `net`.
    pub fn new(net: Net) -> Self {
        NetAdapter {
            net,
            completions: Vec::new(),
        }
    }
}

fn value(done: Done) -> NetResult {
    Ok(match done {
        Done::Socket(id) => NetValue::Socket(id),
        Done::Bytes(b) => NetValue::Bytes(b),
        Done::Sent(n) => NetValue::Sent(n),
        Done::Line(line) => NetValue::Line(line),
        Done::Addresses(ips) => NetValue::Addresses(ips.iter().map(|ip| ip.to_string()).collect()),
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

/// What a blocking job hands back through `kiwi-net` (as an opaque payload).
type JobResult = Result<Plain, (&'static str, String)>;

impl NetDriver for NetAdapter {
    fn run_blocking(&mut self, op: NetId, job: BlockingJob) -> Option<NetResult> {
        // The job's own failures travel inside the payload: to `kiwi-net` the job succeeded.
        self.net.run_blocking(
            op,
            Box::new(move || Ok(Done::Data(kiwi_net::Payload::new::<JobResult>(job())))),
        );
        None
    }

    fn tcp_server(&mut self, host: &str, port: u16, backlog: u32) -> Result<NetId, NetFailure> {
        self.net.tcp_server(host, port, backlog).map_err(failure)
    }

    fn connect(&mut self, op: NetId, host: &str, port: u16) {
        self.net.connect(op, host, port);
    }

    fn tls_server(
        &mut self,
        host: &str,
        port: u16,
        backlog: u32,
        identity: Option<Identity<'_>>,
    ) -> Result<NetId, NetFailure> {
        let files = identity.map(|i| (Path::new(i.cert), Path::new(i.key)));
        self.net
            .tls_server(host, port, backlog, files)
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
        out.extend(self.completions.drain(..).map(|c| (c.op, result(c.result))));
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
        self.net.cancel(op, on).map(|c| match c {
            kiwi_net::Cancelled::Connect => Cancelled::Connect,
            kiwi_net::Cancelled::Handshake => Cancelled::Handshake,
            kiwi_net::Cancelled::Queued => Cancelled::Queued,
        })
    }
}
