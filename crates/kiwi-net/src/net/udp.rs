//! UDP sockets in [`Net`]: datagrams in and out, with receives that suspend only their task.
//!
//! A receive tries the socket first; only when nothing is queued in the kernel does it wait.
//! Waiting receives are served in order by one small reader task per socket that exists only
//! while a receive waits: it waits for readability, then takes the oldest receive and reads
//! one datagram for it. A receive cancelled meanwhile (timeout, cancelled task) is just
//! removed from the queue and takes no datagram.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::{no_runtime, Net};
use crate::wake::Shared;
use crate::{resolve, Done, ErrorKind, Id, NetError};

/// The largest UDP payload (IPv4: 65,535 − 8 − 20).
pub const MAX_DATAGRAM: usize = 65_507;

#[derive(Default)]
struct Reads {
    /// Waiting receives: op id and the most bytes it takes.
    queue: VecDeque<(Id, usize)>,
    /// A reader task is serving `queue`.
    active: bool,
}

/// One UDP socket: unbound until `bind` (or the first send, which binds an ephemeral port).
#[derive(Default)]
pub(super) struct UdpEntry {
    sock: Option<Arc<UdpSocket>>,
    /// The socket is IPv6 (IPv4 destinations are sent to as IPv4-mapped addresses); kept so a
    /// send needs no getsockname.
    v6: bool,
    reads: Arc<Mutex<Reads>>,
    /// The reader task, if one ran (aborted with the entry, so a closed socket's port is
    /// free at once).
    task: Option<tokio::task::JoinHandle<()>>,
    /// The last destination host text that was an IP address, and that address: a server
    /// answering its peers sends to the same few hosts, so most sends skip the parse.
    last_literal: Option<(String, IpAddr)>,
}

impl Drop for UdpEntry {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

fn lock(reads: &Mutex<Reads>) -> MutexGuard<'_, Reads> {
    reads.lock().unwrap_or_else(|p| p.into_inner())
}

fn datagram(data: &[u8], from: SocketAddr) -> Done {
    Done::Datagram(data.to_vec(), from)
}

fn new_socket(addr: SocketAddr, v6only: bool, reuse_port: bool) -> std::io::Result<UdpSocket> {
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(v6only)?;
    }
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    if reuse_port {
        sock.set_reuse_port(true)?;
    }
    #[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
    let _ = reuse_port;
    sock.bind(&addr.into())?;
    sock.set_nonblocking(true)?;
    UdpSocket::from_std(sock.into())
}

/// Serves the waiting receives of one socket until none is left.
async fn reader(sock: Arc<UdpSocket>, reads: Arc<Mutex<Reads>>, shared: Arc<Shared>, id: Id) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        if let Err(e) = sock.readable().await {
            let mut r = lock(&reads);
            r.active = false;
            for (op, _) in r.queue.drain(..) {
                shared.push_finished((op, Err(NetError::io(format!("recv on socket {id}"), &e))));
            }
            return;
        }
        loop {
            let mut r = lock(&reads);
            let Some(&(op, max)) = r.queue.front() else {
                r.active = false;
                return;
            };
            let max = max.min(MAX_DATAGRAM);
            match sock.try_recv_from(&mut buf[..max]) {
                Ok((n, from)) => {
                    r.queue.pop_front();
                    shared.push_finished((op, Ok(datagram(&buf[..n], from))));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                // An ICMP error from an earlier send (port unreachable): not this receive's.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                Err(e) => {
                    r.queue.pop_front();
                    let e = NetError::io(format!("recv on socket {id}"), &e);
                    shared.push_finished((op, Err(e)));
                }
            }
        }
    }
}

impl Net {
    /// A new, unbound UDP socket's id.
    pub fn udp_socket(&self) -> Id {
        let id = self.next_id();
        self.inner
            .state
            .borrow_mut()
            .udp
            .insert(id, UdpEntry::default());
        id
    }

    /// Binds UDP socket `id` to `host:port` ("" or "0.0.0.0": all IPv4 interfaces; "::": all,
    /// dual-stack); with `reuse_port`, others may bind the same port. Rebinding replaces the
    /// old socket (waiting receives move to the new one).
    pub fn udp_bind(
        &self,
        id: Id,
        host: &str,
        port: u16,
        reuse_port: bool,
    ) -> Result<(), NetError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(no_runtime());
        }
        let mut st = self.inner.state.borrow_mut();
        let Some(entry) = st.udp.get_mut(&id) else {
            return Err(NetError::invalid_id(id));
        };
        let mut last = None;
        for target in resolve::bind_targets(host, port)? {
            match new_socket(target.addr, target.v6only, reuse_port) {
                Ok(sock) => {
                    if let Some(t) = entry.task.take() {
                        t.abort();
                    }
                    lock(&entry.reads).active = false;
                    entry.v6 = target.addr.is_ipv6();
                    entry.sock = Some(Arc::new(sock));
                    // Waiting receives continue on the new socket.
                    let waiting = !lock(&entry.reads).queue.is_empty();
                    if waiting {
                        self.start_reader(entry, id);
                    }
                    return Ok(());
                }
                Err(e) => {
                    last = Some(NetError::io(
                        format!("bind UDP {}", resolve::display(host, port)),
                        &e,
                    ))
                }
            }
        }
        Err(last
            .unwrap_or_else(|| NetError::new(ErrorKind::Resolve, format!("cannot resolve {host}"))))
    }

    /// Receives one datagram (at most `max` bytes of it) on `id`: `Some` if one was queued,
    /// else `None` and it completes later with [`Done::Datagram`].
    pub fn udp_recv(&self, op: Id, id: Id, max: usize) -> Option<Result<Done, NetError>> {
        let mut st = self.inner.state.borrow_mut();
        let st = &mut *st;
        let Some(entry) = st.udp.get_mut(&id) else {
            return Some(Err(NetError::invalid_id(id)));
        };
        // Borrowed, not cloned: an Arc clone is two atomic operations per datagram.
        let Some(sock) = entry.sock.as_ref() else {
            return Some(Err(NetError::new(
                ErrorKind::InvalidInput,
                format!("UDP socket {id} is not bound: bind it (or send from it) first"),
            )));
        };
        let mut r = lock(&entry.reads);
        if r.queue.is_empty() {
            let mut buf = std::mem::take(&mut st.scratch);
            buf.resize(MAX_DATAGRAM.max(buf.len()), 0);
            let got = sock.try_recv_from(&mut buf[..max.clamp(1, MAX_DATAGRAM)]);
            let done = match got {
                Ok((n, from)) => Some(Ok(datagram(&buf[..n], from))),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => None,
                Err(e) => Some(Err(NetError::io(format!("recv on socket {id}"), &e))),
            };
            st.scratch = buf;
            if done.is_some() {
                return done;
            }
        }
        r.queue.push_back((op, max.max(1)));
        st.completions.started();
        let idle = !r.active;
        drop(r);
        if idle {
            self.start_reader(entry, id);
        }
        None
    }

    fn start_reader(&self, entry: &mut UdpEntry, id: Id) {
        let Some(sock) = entry.sock.clone() else {
            return;
        };
        lock(&entry.reads).active = true;
        let reads = entry.reads.clone();
        let shared = self.inner.shared.clone();
        entry.task = Some(tokio::spawn(reader(sock, reads, shared, id)));
    }

    /// Sends `data` as one datagram from `id` to `host:port` (an unbound socket binds an
    /// ephemeral port first); completes with [`Done::Sent`].
    pub fn udp_send(
        &self,
        op: Id,
        id: Id,
        host: &str,
        port: u16,
        data: &[u8],
    ) -> Option<Result<Done, NetError>> {
        let mut st = self.inner.state.borrow_mut();
        let st = &mut *st;
        let Some(entry) = st.udp.get_mut(&id) else {
            return Some(Err(NetError::invalid_id(id)));
        };
        if data.len() > MAX_DATAGRAM {
            return Some(Err(NetError::new(
                ErrorKind::InvalidInput,
                format!(
                    "a datagram holds at most {MAX_DATAGRAM} bytes, not {}",
                    data.len()
                ),
            )));
        }
        let literal: Option<IpAddr> = match &entry.last_literal {
            Some((text, ip)) if text == host => Some(*ip),
            _ => {
                let parsed: Option<IpAddr> = host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse()
                    .ok();
                if let Some(ip) = parsed {
                    entry.last_literal = Some((host.to_owned(), ip));
                }
                parsed
            }
        };
        if entry.sock.is_none() {
            // Bind the family the destination needs (a name: dual-stack covers both).
            let any = match literal {
                Some(IpAddr::V4(_)) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
                _ => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
            };
            let v4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0);
            let made = new_socket(any, false, false)
                .map(|s| (s, any.is_ipv6()))
                .or_else(|_| new_socket(v4, false, false).map(|s| (s, false)));
            match made {
                Ok((s, v6)) => {
                    entry.sock = Some(Arc::new(s));
                    entry.v6 = v6;
                }
                Err(e) => return Some(Err(NetError::io("bind UDP socket", &e))),
            }
        }
        let sock = entry.sock.as_ref()?;
        let v6 = entry.v6;
        let fit = move |ip: IpAddr| match (ip, v6) {
            (IpAddr::V4(v4), true) => IpAddr::V6(v4.to_ipv6_mapped()),
            (ip, _) => ip,
        };
        if let Some(ip) = literal {
            match sock.try_send_to(data, SocketAddr::new(fit(ip), port)) {
                Ok(n) => return Some(Ok(Done::Sent(n))),
                Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => {
                    return Some(Err(NetError::io(
                        format!("send to {}", resolve::display(host, port)),
                        &e,
                    )))
                }
                Err(_) => {}
            }
        }
        st.completions.started();
        let shared = self.inner.shared.clone();
        let (sock, host, data) = (sock.clone(), host.to_owned(), data.to_vec());
        drop(tokio::spawn(async move {
            let what = format!("send to {}", resolve::display(&host, port));
            let result = async {
                let addrs = resolve::connect_targets(&host, port).await?;
                let addr = addrs
                    .iter()
                    .copied()
                    .find(|a| v6 || a.is_ipv4())
                    .ok_or_else(|| {
                        NetError::new(ErrorKind::Resolve, format!("{what}: no usable address"))
                    })?;
                let addr = SocketAddr::new(fit(addr.ip()), addr.port());
                sock.send_to(&data, addr)
                    .await
                    .map(Done::Sent)
                    .map_err(|e| NetError::io(&what, &e))
            };
            shared.push_finished((op, result.await));
        }));
        None
    }

    /// The local address of UDP socket `id` (unbound: an error).
    pub fn udp_local_addr(&self, id: Id) -> Result<SocketAddr, NetError> {
        let st = self.inner.state.borrow();
        let entry = st.udp.get(&id).ok_or_else(|| NetError::invalid_id(id))?;
        let sock = entry.sock.as_ref().ok_or_else(|| {
            NetError::new(
                ErrorKind::InvalidInput,
                format!("UDP socket {id} is not bound"),
            )
        })?;
        sock.local_addr()
            .map_err(|e| NetError::io("local address", &e))
    }

    /// Whether `id` names a UDP socket.
    pub fn is_udp(&self, id: Id) -> bool {
        self.inner.state.borrow().udp.contains_key(&id)
    }
}

impl UdpEntry {
    /// Removes waiting receive `op`; whether it was there.
    pub(super) fn cancel(&self, op: Id) -> bool {
        let mut r = lock(&self.reads);
        match r.queue.iter().position(|&(o, _)| o == op) {
            Some(i) => r.queue.remove(i).is_some(),
            None => false,
        }
    }

    /// The receives still waiting (to fail them when the socket closes).
    pub(super) fn take_waiting(&self) -> Vec<Id> {
        lock(&self.reads)
            .queue
            .drain(..)
            .map(|(op, _)| op)
            .collect()
    }
}
