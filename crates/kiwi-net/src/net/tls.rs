//! The TLS side of [`Net`]: servers, connects, trust, and the glue that turns handshakes into
//! accept and connect completions.
//!
//! A connection that is still handshaking (or finished, waiting for an accept) lives in the
//! socket table like any other, under an internal negative id and with an [`Owner`], so it
//! gets readiness wake-ups through the same handle/waker machinery. The public API does not
//! see it. When it is handed to a script it is renamed to a fresh id from the shared counter;
//! its slot and handle (and so its registered wakers) stay the same.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConnection};
use tokio::net::TcpStream;

use super::{no_runtime, Entry, Net, State};
use crate::handles::Handle;
use crate::listener::Accept;
use crate::resolve;
use crate::tls_config::{dev_identity, load_server_config};
use crate::tls_listener::TlsListenerEntry;
use crate::tls_stream::{AbortOnDrop, Failure, Handshake, Owner, TlsStreamEntry};
use crate::tls_verify::handshake_error;
use crate::wake::{socket_waker, Dir};
use crate::{Done, ErrorKind, Id, NetError};

/// What a TLS connect will handshake with once its TCP connect lands.
pub(super) struct Target {
    /// The name to verify (`sni`, else the host); `Err` holds the text if it is not a valid
    /// DNS name or IP address.
    name: Result<ServerName<'static>, String>,
    config: Arc<ClientConfig>,
    /// `host:port`, for messages.
    peer: String,
}

/// The error of a failed client handshake: certificate problems are
/// [`ErrorKind::CertRejected`], everything else [`ErrorKind::Tls`].
fn connect_error(peer: &str, f: Failure) -> NetError {
    match f {
        Failure::Tls(e) => handshake_error(peer, &e),
        Failure::TimedOut => NetError::new(
            ErrorKind::Tls,
            format!("TLS handshake with {peer} failed: the server did not complete it in time"),
        ),
        Failure::Io(e) => NetError::new(
            ErrorKind::Tls,
            format!("TLS handshake with {peer} failed: {e}"),
        ),
        f => {
            let mut e = f.into_error(&format!("TLS handshake with {peer}"));
            e.kind = ErrorKind::Tls;
            e
        }
    }
}

impl Net {
    /// Binds and listens like [`Net::tcp_server`]; accepts on the id complete after the
    /// server-side TLS handshake. `identity` is a PEM certificate chain and a PEM private key
    /// (PKCS#8, RSA PKCS#1 or SEC1 EC); without it the server presents this process's
    /// development certificate (SANs `localhost`, `kiwi.local`, `127.0.0.1`, `::1`), which
    /// only clients of this process trust. Unreadable files, files without a certificate or
    /// key, and a key that does not belong to the certificate are errors of kind
    /// [`ErrorKind::InvalidInput`] naming the file.
    pub fn tls_server(
        &self,
        host: &str,
        port: u16,
        backlog: u32,
        reuse_port: bool,
        identity: Option<(&Path, &Path)>,
    ) -> Result<Id, NetError> {
        let config = match identity {
            Some((cert, key)) => load_server_config(cert, key)?,
            None => dev_identity().server.clone(),
        };
        let id = self.listen(host, port, backlog, reuse_port, |tcp| {
            Entry::TlsListener(Box::new(TlsListenerEntry::new(tcp, config, backlog)))
        })?;
        // Start taking clients now, not only once a script accepts (see tls_listener.rs).
        let mut st = self.inner.state.borrow_mut();
        if let Some(lh) = st.table.lookup(id) {
            self.tls_fill(&mut st, lh);
        }
        Ok(id)
    }

    /// Connects and performs a verified TLS handshake; completes later with
    /// `Done::Socket(new_id)`. The certificate is checked against `sni` if it is not empty,
    /// else against `host` (an IP literal against the certificate's IP SANs). Errors: kind
    /// `Resolve` (name did not resolve); `Refused`, `TimedOut`, `Io` ... (TCP connect
    /// failed); [`ErrorKind::Tls`] (handshake failed); [`ErrorKind::CertRejected`]
    /// (certificate rejected, the message names why).
    pub fn tls_connect(&self, op: Id, host: &str, port: u16, sni: &str) {
        let mut st = self.inner.state.borrow_mut();
        st.completions.started();
        let name_text = if sni.is_empty() { host } else { sni };
        let bare = name_text
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(name_text);
        let name = ServerName::try_from(bare.to_owned()).map_err(|_| bare.to_owned());
        let failed = if tokio::runtime::Handle::try_current().is_err() {
            Some(no_runtime())
        } else if name.is_err() && !sni.is_empty() {
            Some(NetError::new(
                ErrorKind::InvalidServerName,
                format!("sni '{sni}' is not a valid TLS server name (a DNS name or an IP address)"),
            ))
        } else {
            None
        };
        if let Some(e) = failed {
            st.completions.push(op, Err(e));
            drop(st);
            self.inner.shared.wake_host();
            return;
        }
        let config = st.trust.client_config();
        let target = Target {
            name,
            config,
            peer: resolve::display(host, port),
        };
        st.tls_connects.insert(op, target);
        // An invalid host name fails resolution in the connect task, as for TCP.
        self.spawn_connect(&mut st, op, host, port);
    }

    /// Trusts every CA certificate in a PEM file for later [`Net::tls_connect`]s, on top of
    /// the system store and the development CA. Returns how many were added. The shared
    /// client config is rebuilt once, on the next connect.
    pub fn tls_trust(&self, pem_path: &Path) -> Result<usize, NetError> {
        self.inner.state.borrow_mut().trust.add_pem(pem_path)
    }

    /// Test hook: the handshake deadline for connections started from now on (default
    /// [`crate::TLS_HANDSHAKE_TIMEOUT`]).
    #[doc(hidden)]
    pub fn set_tls_handshake_timeout(&self, timeout: Duration) {
        self.inner.state.borrow_mut().hs_timeout = timeout;
    }

    /// A TLS listener's accept: a finished handshake if one is waiting, else pending while
    /// the listener accepts and handshakes with whatever clients arrive.
    pub(super) fn tls_accept(
        &self,
        st: &mut State,
        op: Id,
        lh: Handle,
    ) -> Option<Result<Done, NetError>> {
        // A handshake that finished while no accept waited is handed over at once.
        loop {
            let Some(Entry::TlsListener(l)) = st.table.get_mut(lh) else {
                return None;
            };
            if !l.tcp.accepts.is_empty() {
                break;
            }
            let Some(h) = l.established.pop_front() else {
                break;
            };
            l.children.remove(&h);
            if let Some(id) = self.claim(st, h) {
                // A place freed up: take the next client from the kernel.
                self.tls_fill(st, lh);
                return Some(Ok(Done::Socket(id)));
            }
        }
        let Some(Entry::TlsListener(l)) = st.table.get_mut(lh) else {
            return None;
        };
        l.tcp.accepts.push_back(op);
        st.completions.started();
        let idle = st.completions.is_empty();
        self.tls_fill(st, lh);
        if idle && !st.completions.is_empty() {
            self.inner.shared.wake_host();
        }
        None
    }

    /// Hands a finished connection to a script: a fresh public id for the same slot.
    fn claim(&self, st: &mut State, h: Handle) -> Option<Id> {
        let old = st.table.id_of(h)?;
        let id = self.next_id();
        st.table.rename(old, id);
        if let Some(Entry::TlsStream(t)) = st.table.get_mut(h) {
            t.owner = None;
        }
        Some(id)
    }

    /// Registers a handshaking connection under an internal id, with its deadline armed.
    fn start_handshake(
        &self,
        st: &mut State,
        sock: TcpStream,
        conn: Connection,
        owner: Owner,
    ) -> Handle {
        st.internal_ids -= 1;
        let id = st.internal_ids;
        let h = st.table.vacant_handle();
        let shared = &self.inner.shared;
        let mut entry = TlsStreamEntry::new(
            sock,
            conn,
            owner,
            socket_waker(shared, h, Dir::Read),
            socket_waker(shared, h, Dir::Write),
        );
        // One sleeping timer per handshake (not per connection lifetime): aborted as soon
        // as the handshake ends, it reports through the same ready list as the reactor.
        let shared = shared.clone();
        let after = st.hs_timeout;
        entry.timer = Some(AbortOnDrop(tokio::spawn(async move {
            tokio::time::sleep(after).await;
            shared.push_ready(h, Dir::Timeout);
        })));
        st.table.insert(id, Entry::TlsStream(Box::new(entry)));
        h
    }

    /// The TCP connect of a `tls_connect` finished: start the client handshake.
    pub(super) fn tls_connected(
        &self,
        st: &mut State,
        op: Id,
        result: Result<TcpStream, NetError>,
        target: Target,
    ) {
        let sock = match result {
            Ok(sock) => sock,
            Err(e) => return st.completions.push(op, Err(e)),
        };
        let name = match target.name {
            Ok(name) => name,
            Err(text) => {
                let e = NetError::new(
                    ErrorKind::InvalidServerName,
                    format!(
                        "host '{text}' is not a valid TLS server name (a DNS name or an IP \
                         address); give one as sni"
                    ),
                );
                return st.completions.push(op, Err(e));
            }
        };
        match ClientConnection::new(target.config, name) {
            Ok(conn) => {
                let owner = Owner::Connect {
                    op,
                    peer: target.peer,
                };
                let h = self.start_handshake(st, sock, conn.into(), owner);
                self.tls_progress(st, h);
            }
            Err(e) => st
                .completions
                .push(op, Err(handshake_error(&target.peer, &e))),
        }
    }

    /// Accepts TCP clients while an accept waits, or while fewer than the backlog are taken
    /// (up to [`MAX_HANDSHAKES`](crate::tls_listener::MAX_HANDSHAKES) handshaking at once),
    /// and starts a handshake with each.
    pub(super) fn tls_fill(&self, st: &mut State, lh: Handle) {
        loop {
            let Some(lid) = st.table.id_of(lh) else {
                return;
            };
            let Some(Entry::TlsListener(l)) = st.table.get_mut(lh) else {
                return;
            };
            // At the cap, a waiting client may replace the oldest handshake whose peer has
            // sent nothing; with no such handshake, clients wait in the kernel's backlog.
            let mut replaces = None;
            if !l.wants_more() {
                if !l.at_cap() {
                    return;
                }
                replaces = oldest_silent(st, lh);
                if replaces.is_none() {
                    return;
                }
            }
            let Some(Entry::TlsListener(l)) = st.table.get_mut(lh) else {
                return;
            };
            match l.tcp.try_accept(lid) {
                Accept::Pending => return,
                Accept::Err(e) => match l.tcp.accepts.pop_front() {
                    Some(op) => st.completions.push(op, Err(e)),
                    // Nobody to tell; the next accept will meet the error itself.
                    None => return,
                },
                Accept::Ok(sock) => {
                    let Ok(conn) = ServerConnection::new(l.config.clone()) else {
                        continue;
                    };
                    if let Some(silent) = replaces {
                        self.tls_failed(st, silent, Failure::TimedOut);
                    }
                    let h = self.start_handshake(st, sock, conn.into(), Owner::Listener(lh));
                    if let Some(Entry::TlsListener(l)) = st.table.get_mut(lh) {
                        l.children.insert(h);
                        l.arrival.push_back(h);
                    }
                    prune_arrival(st, lh);
                    // Its ClientHello may already be here. Its outcome needs no refill:
                    // this loop goes on accepting anyway.
                    self.tls_progress(st, h);
                }
            }
        }
    }

    /// Drives a handshake on readiness, then lets its listener accept more if it can.
    pub(super) fn tls_progress_refill(&self, st: &mut State, h: Handle) {
        if let Some(lh) = self.tls_progress(st, h) {
            self.tls_fill(st, lh);
        }
    }

    /// The handshake deadline passed: drop the connection if it is still handshaking.
    pub(super) fn tls_timeout(&self, st: &mut State, h: Handle) {
        let still = matches!(
            st.table.get(h),
            Some(Entry::TlsStream(t)) if t.owner.is_some() && t.conn.is_handshaking()
        );
        if still {
            if let Some(lh) = self.tls_failed(st, h, Failure::TimedOut) {
                self.tls_fill(st, lh);
            }
        }
    }

    /// Advances a handshake; when it ends, completes the connect or hands the connection
    /// to its listener. Returns the owning listener if it ended (so it may accept more).
    fn tls_progress(&self, st: &mut State, h: Handle) -> Option<Handle> {
        let Some(Entry::TlsStream(t)) = st.table.get_mut(h) else {
            return None;
        };
        if t.owner.is_none() || t.timer.is_none() {
            // A script's socket, or a finished one waiting for an accept.
            return None;
        }
        match t.drive_handshake() {
            Handshake::Pending => None,
            Handshake::Failed(f) => self.tls_failed(st, h, f),
            Handshake::Done => {
                // Dropping the handle aborts the deadline task.
                t.timer = None;
                let owner = match &t.owner {
                    Some(Owner::Connect { op, .. }) => Ok(*op),
                    Some(Owner::Listener(lh)) => Err(*lh),
                    None => return None,
                };
                match owner {
                    Ok(op) => {
                        if let Some(id) = self.claim(st, h) {
                            st.completions.push(op, Ok(Done::Socket(id)));
                        }
                        None
                    }
                    Err(lh) => {
                        self.tls_handed_over(st, h, lh);
                        Some(lh)
                    }
                }
            }
        }
    }

    /// A listener's client finished its handshake: complete the oldest waiting accept, or
    /// keep it for the next accept.
    fn tls_handed_over(&self, st: &mut State, h: Handle, lh: Handle) {
        match st.table.get_mut(lh) {
            Some(Entry::TlsListener(l)) => match l.tcp.accepts.pop_front() {
                Some(op) => {
                    l.children.remove(&h);
                    if let Some(id) = self.claim(st, h) {
                        st.completions.push(op, Ok(Done::Socket(id)));
                    }
                }
                None => l.established.push_back(h),
            },
            // The listener is gone: nobody will accept this one.
            _ => {
                if let Some(id) = st.table.id_of(h) {
                    st.table.remove_id(id);
                }
            }
        }
    }

    /// Drops a connection whose handshake failed; a connect faults, a listener just forgets
    /// it (one bad client never faults an accept). Returns the owning listener.
    fn tls_failed(&self, st: &mut State, h: Handle, f: Failure) -> Option<Handle> {
        let id = st.table.id_of(h)?;
        let Some(Entry::TlsStream(t)) = st.table.remove_id(id) else {
            return None;
        };
        match &t.owner {
            Some(Owner::Connect { op, peer }) => {
                st.completions.push(*op, Err(connect_error(peer, f)));
                None
            }
            Some(Owner::Listener(lh)) => {
                if let Some(Entry::TlsListener(l)) = st.table.get_mut(*lh) {
                    l.children.remove(&h);
                }
                Some(*lh)
            }
            None => None,
        }
    }
}

/// Whether `h` is one of `lh`'s connections still handshaking.
fn handshaking_child(st: &State, lh: Handle, h: Handle) -> Option<&TlsStreamEntry> {
    match st.table.get(h) {
        Some(Entry::TlsStream(t))
            if matches!(t.owner, Some(Owner::Listener(l)) if l == lh)
                && t.conn.is_handshaking() =>
        {
            Some(t)
        }
        _ => None,
    }
}

/// Forgets the arrivals at the front that are no longer handshaking, so the list stays as long
/// as the handshakes of the last deadline's worth of clients.
fn prune_arrival(st: &mut State, lh: Handle) {
    let Some(Entry::TlsListener(l)) = st.table.get_mut(lh) else {
        return;
    };
    let mut arrival = std::mem::take(&mut l.arrival);
    while let Some(&front) = arrival.front() {
        if handshaking_child(st, lh, front).is_some() {
            break;
        }
        arrival.pop_front();
    }
    if let Some(Entry::TlsListener(l)) = st.table.get_mut(lh) {
        l.arrival = arrival;
    }
}

/// The oldest of `lh`'s handshakes whose peer has not sent a byte yet.
fn oldest_silent(st: &mut State, lh: Handle) -> Option<Handle> {
    prune_arrival(st, lh);
    let Some(Entry::TlsListener(l)) = st.table.get(lh) else {
        return None;
    };
    l.arrival
        .iter()
        .copied()
        .find(|&h| handshaking_child(st, lh, h).is_some_and(|t| !t.heard_from))
}
