//! An in-memory network with no sockets: listeners by port, connections as pairs of byte
//! queues. Its failure messages start with `fake:` so that tests asserting them visibly check
//! that the VM passes a driver's message through, not what a real network would say. Everything it completes later is queued at once (there are no outside events), so
//! scripts run deterministically under the virtual-clock harness.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;

use kiwi_vm::net::{
    Cancelled, FailureKind, Identity, NetDriver, NetFailure, NetId, NetResult, NetValue,
    OptionValue, SocketKind,
};

#[derive(Default)]
struct Listener {
    tls: bool,
    port: u16,
    backlog: VecDeque<NetId>,
    accepts: VecDeque<NetId>,
}

#[derive(Default)]
struct Stream {
    tls: bool,
    local: u16,
    peer: Option<NetId>,
    peer_port: u16,
    inbox: VecDeque<u8>,
    /// The peer will send nothing more (shutdown or close).
    eof: bool,
    recvs: VecDeque<(NetId, usize)>,
}

enum Sock {
    Listener(Listener),
    Stream(Stream),
}

/// The fake network. Clones share state, so a test can keep a handle to inspect it.
#[derive(Clone)]
pub struct FakeNet {
    ids: Rc<Cell<i64>>,
    socks: Rc<RefCell<HashMap<NetId, Sock>>>,
    done: Rc<RefCell<Vec<(NetId, NetResult)>>>,
    next_port: Rc<Cell<u16>>,
}

impl FakeNet {
    pub fn new(ids: Rc<Cell<i64>>) -> Self {
        FakeNet {
            ids,
            socks: Rc::default(),
            done: Rc::default(),
            next_port: Rc::new(Cell::new(40000)),
        }
    }

    fn fresh(&self) -> NetId {
        let id = self.ids.get();
        self.ids.set(id + 1);
        id
    }

    fn port(&self) -> u16 {
        let p = self.next_port.get();
        self.next_port.set(p + 1);
        p
    }

    /// Serves pending receives of `id` from its inbox (or end of stream).
    fn pump(&self, socks: &mut HashMap<NetId, Sock>, id: NetId) {
        let Some(Sock::Stream(s)) = socks.get_mut(&id) else {
            return;
        };
        while let Some(&(op, max)) = s.recvs.front() {
            if s.inbox.is_empty() && !s.eof {
                break;
            }
            s.recvs.pop_front();
            let n = max.min(s.inbox.len());
            let bytes: Vec<u8> = s.inbox.drain(..n).collect();
            self.done
                .borrow_mut()
                .push((op, Ok(NetValue::Bytes(bytes))));
        }
    }

    /// The peer of `id` reads end of stream from now on.
    fn end_peer(&self, socks: &mut HashMap<NetId, Sock>, id: NetId) {
        let peer = match socks.get(&id) {
            Some(Sock::Stream(s)) => s.peer,
            _ => None,
        };
        if let Some(p) = peer {
            if let Some(Sock::Stream(ps)) = socks.get_mut(&p) {
                ps.eof = true;
            }
            self.pump(socks, p);
        }
    }
}

fn invalid(id: NetId) -> NetFailure {
    format!("invalid socket id {id}").into()
}

/// What a recv/send on something other than a connection fails with.
fn not_stream(sock: Option<&Sock>, id: NetId) -> NetFailure {
    match sock {
        Some(Sock::Listener(_)) => {
            format!("socket {id} is a listening socket, not a connection").into()
        }
        _ => invalid(id),
    }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

impl FakeNet {
    fn listener_at(&self, port: u16) -> Option<(NetId, bool)> {
        self.socks.borrow().iter().find_map(|(id, s)| match s {
            Sock::Listener(l) if l.port == port => Some((*id, l.tls)),
            _ => None,
        })
    }

    fn bind(&mut self, port: u16, tls: bool) -> Result<NetId, NetFailure> {
        let mut socks = self.socks.borrow_mut();
        let taken = socks
            .values()
            .any(|s| matches!(s, Sock::Listener(l) if l.port == port));
        if port != 0 && taken {
            return Err(format!("bind 127.0.0.1:{port}: Address already in use").into());
        }
        let port = if port == 0 { self.port() } else { port };
        let id = self.fresh();
        socks.insert(
            id,
            Sock::Listener(Listener {
                tls,
                port,
                ..Listener::default()
            }),
        );
        Ok(id)
    }
}

impl NetDriver for FakeNet {
    fn tcp_server(
        &mut self,
        _host: &str,
        port: u16,
        _backlog: u32,
        _reuse_port: bool,
    ) -> Result<NetId, NetFailure> {
        self.bind(port, false)
    }

    fn tls_server(
        &mut self,
        _host: &str,
        port: u16,
        _backlog: u32,
        _reuse_port: bool,
        identity: Option<Identity<'_>>,
    ) -> Result<NetId, NetFailure> {
        if let Some(id) = identity {
            return Err(
                format!("cannot read certificate file {}: not in the fake", id.cert).into(),
            );
        }
        self.bind(port, true)
    }

    fn tls_connect(&mut self, op: NetId, host: &str, port: u16, sni: &str) {
        let name = if sni.is_empty() { host } else { sni };
        let fail = |kind, msg: String| Some(NetFailure::new(kind, msg));
        let failure = if host.ends_with(".invalid") {
            fail(
                FailureKind::Resolve,
                format!("fake: {host}:{port} does not resolve"),
            )
        } else if name == "expired.test" {
            fail(
                FailureKind::CertRejected,
                format!("fake: the certificate of {name} expired"),
            )
        } else {
            match self.listener_at(port) {
                None => fail(
                    FailureKind::Connect,
                    format!("fake: {host}:{port} refused the connection"),
                ),
                Some((_, false)) => fail(
                    FailureKind::Handshake,
                    format!("fake: {host}:{port} sent non-TLS data"),
                ),
                Some(_) => None,
            }
        };
        match failure {
            Some(f) => self.done.borrow_mut().push((op, Err(f))),
            None => self.connect(op, host, port),
        }
    }

    fn tls_trust(&mut self, pem_path: &str) -> Result<usize, NetFailure> {
        Err(format!("cannot read {pem_path}: not in the fake").into())
    }

    fn connect(&mut self, op: NetId, host: &str, port: u16) {
        let Some((server, tls)) = self.listener_at(port) else {
            self.done.borrow_mut().push((
                op,
                Err(NetFailure::new(
                    FailureKind::Connect,
                    format!("fake: {host}:{port} refused the connection"),
                )),
            ));
            return;
        };
        let mut socks = self.socks.borrow_mut();
        let (client, accepted) = (self.fresh(), self.fresh());
        let client_port = self.port();
        socks.insert(
            client,
            Sock::Stream(Stream {
                tls,
                local: client_port,
                peer: Some(accepted),
                peer_port: port,
                ..Stream::default()
            }),
        );
        socks.insert(
            accepted,
            Sock::Stream(Stream {
                tls,
                local: port,
                peer: Some(client),
                peer_port: client_port,
                ..Stream::default()
            }),
        );
        if let Some(Sock::Listener(l)) = socks.get_mut(&server) {
            match l.accepts.pop_front() {
                Some(a) => self
                    .done
                    .borrow_mut()
                    .push((a, Ok(NetValue::Socket(accepted)))),
                None => l.backlog.push_back(accepted),
            }
        }
        self.done
            .borrow_mut()
            .push((op, Ok(NetValue::Socket(client))));
    }

    fn accept(&mut self, op: NetId, server: NetId) -> Option<NetResult> {
        match self.socks.borrow_mut().get_mut(&server) {
            Some(Sock::Listener(l)) => match l.backlog.pop_front() {
                Some(c) => Some(Ok(NetValue::Socket(c))),
                None => {
                    l.accepts.push_back(op);
                    None
                }
            },
            _ => Some(Err(invalid(server))),
        }
    }

    fn recv(&mut self, op: NetId, sock: NetId, max: usize) -> Option<NetResult> {
        let mut socks = self.socks.borrow_mut();
        match socks.get_mut(&sock) {
            Some(Sock::Stream(s)) => s.recvs.push_back((op, max)),
            other => return Some(Err(not_stream(other.map(|s| &*s), sock))),
        }
        self.pump(&mut socks, sock);
        None
    }

    fn recv_until(&mut self, _: NetId, _: NetId, _: &[u8], _: usize) -> Option<NetResult> {
        Some(Err("fake: recv_until is not simulated".into()))
    }

    fn send(&mut self, _op: NetId, sock: NetId, data: &[u8]) -> Option<NetResult> {
        let mut socks = self.socks.borrow_mut();
        let peer = match socks.get(&sock) {
            Some(Sock::Stream(s)) => s.peer,
            other => return Some(Err(not_stream(other, sock))),
        };
        let n = data.len();
        match peer.and_then(|p| socks.get_mut(&p)) {
            Some(Sock::Stream(ps)) => ps.inbox.extend(data.iter().copied()),
            _ => return Some(Err("Broken pipe".into())),
        }
        if let Some(p) = peer {
            self.pump(&mut socks, p);
        }
        Some(Ok(NetValue::Sent(n)))
    }

    fn close(&mut self, id: NetId) {
        let mut socks = self.socks.borrow_mut();
        self.end_peer(&mut socks, id);
        let pending: Vec<NetId> = match socks.remove(&id) {
            Some(Sock::Stream(s)) => s.recvs.into_iter().map(|(op, _)| op).collect(),
            Some(Sock::Listener(l)) => l.accepts.into_iter().collect(),
            None => return,
        };
        for op in pending {
            self.done
                .borrow_mut()
                .push((op, Err(format!("socket {id} was closed").into())));
        }
    }

    fn shutdown(&mut self, id: NetId) -> Result<(), NetFailure> {
        let mut socks = self.socks.borrow_mut();
        if !matches!(socks.get(&id), Some(Sock::Stream(_))) {
            return Err(invalid(id));
        }
        self.end_peer(&mut socks, id);
        Ok(())
    }

    fn local_addr(&self, id: NetId) -> Result<SocketAddr, NetFailure> {
        match self.socks.borrow().get(&id) {
            Some(Sock::Listener(l)) => Ok(addr(l.port)),
            Some(Sock::Stream(s)) => Ok(addr(s.local)),
            None => Err(invalid(id)),
        }
    }

    fn peer_addr(&self, id: NetId) -> Result<SocketAddr, NetFailure> {
        match self.socks.borrow().get(&id) {
            Some(Sock::Stream(s)) => Ok(addr(s.peer_port)),
            _ => Err(invalid(id)),
        }
    }

    fn kind(&self, id: NetId) -> Option<SocketKind> {
        match self.socks.borrow().get(&id) {
            Some(Sock::Listener(l)) if l.tls => Some(SocketKind::TlsListener),
            Some(Sock::Stream(s)) if s.tls => Some(SocketKind::TlsStream),
            Some(Sock::Listener(_)) => Some(SocketKind::Listener),
            Some(Sock::Stream(_)) => Some(SocketKind::Stream),
            None => None,
        }
    }

    fn pending(&self) -> usize {
        let socks = self.socks.borrow();
        let waiting: usize = socks
            .values()
            .map(|s| match s {
                Sock::Listener(l) => l.accepts.len(),
                Sock::Stream(s) => s.recvs.len(),
            })
            .sum();
        waiting + self.done.borrow().len()
    }

    fn set_option(&mut self, id: NetId, _: &str, _: OptionValue) -> Result<(), NetFailure> {
        match self.socks.borrow().contains_key(&id) {
            true => Ok(()),
            false => Err(invalid(id)),
        }
    }

    fn get_option(&self, id: NetId, _: &str) -> Result<OptionValue, NetFailure> {
        match self.socks.borrow().contains_key(&id) {
            true => Ok(OptionValue::Off),
            false => Err(invalid(id)),
        }
    }

    /// Every name of the fake is its one loopback address; `.invalid` names fail.
    fn resolve(&mut self, op: NetId, host: &str) {
        let r = if host.ends_with(".invalid") {
            Err(NetFailure::new(
                FailureKind::Resolve,
                format!("fake: {host} does not resolve"),
            ))
        } else {
            Ok(NetValue::Addresses(vec!["127.0.0.1".into()]))
        };
        self.done.borrow_mut().push((op, r));
    }

    /// The fake has no standard input: end of input at once.
    fn read_line(&mut self, op: NetId) {
        self.done.borrow_mut().push((op, Ok(NetValue::Line(None))));
    }

    fn cancel(&mut self, op: NetId, on: Option<NetId>) -> Option<Cancelled> {
        let mut socks = self.socks.borrow_mut();
        let remove = |sock: &mut Sock| match sock {
            Sock::Listener(l) => {
                let before = l.accepts.len();
                l.accepts.retain(|&o| o != op);
                before != l.accepts.len()
            }
            Sock::Stream(s) => {
                let before = s.recvs.len();
                s.recvs.retain(|&(o, _)| o != op);
                before != s.recvs.len()
            }
        };
        // The fake connects at once: no connect is ever waiting, only queued operations.
        let removed = match on {
            Some(id) => socks.get_mut(&id).is_some_and(remove),
            None => socks.values_mut().any(remove),
        };
        removed.then_some(Cancelled::Queued)
    }

    fn take_completions(&mut self, out: &mut Vec<(NetId, NetResult)>) {
        out.append(&mut self.done.borrow_mut());
    }
}
