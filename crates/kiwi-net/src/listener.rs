//! Listening sockets: binding through socket2, and accepting without ever faulting on
//! resource exhaustion.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::{Id, NetError};

/// How long an accept waits before retrying after the process ran out of descriptors or
/// memory. Long enough not to spin, short enough that a freed descriptor is used promptly.
const EXHAUSTED_RETRY: Duration = Duration::from_millis(75);

/// A listening socket and the accepts waiting on it, served first come first served.
pub(crate) struct ListenerEntry {
    pub sock: TcpListener,
    pub accepts: VecDeque<Id>,
    /// Registered with the reactor while an accept waits.
    waker: Waker,
    /// The pending retry timer after descriptor exhaustion, if any.
    retry: Option<JoinHandle<()>>,
}

/// The outcome of one accept attempt.
pub(crate) enum Accept {
    Ok(TcpStream),
    /// Nothing to accept yet; the waker (or a retry timer) will report readiness.
    Pending,
    Err(NetError),
}

impl ListenerEntry {
    pub(crate) fn new(sock: TcpListener, waker: Waker) -> ListenerEntry {
        ListenerEntry {
            sock,
            accepts: VecDeque::new(),
            waker,
            retry: None,
        }
    }

    /// Accepts one connection if one is waiting, else arranges a wake-up.
    pub(crate) fn try_accept(&mut self, id: Id) -> Accept {
        let mut cx = Context::from_waker(&self.waker);
        loop {
            match self.sock.poll_accept(&mut cx) {
                Poll::Ready(Ok((stream, _))) => return Accept::Ok(stream),
                Poll::Pending => return Accept::Pending,
                Poll::Ready(Err(e)) if is_exhaustion(&e) => {
                    // Out of descriptors or memory: the connection stays in the backlog and
                    // the listener stays "ready", so no readiness event will come. Retry on
                    // a timer until something is freed.
                    self.arm_retry();
                    return Accept::Pending;
                }
                // The connection died in the backlog, or a signal: try the next one.
                Poll::Ready(Err(e)) if is_transient(&e) => continue,
                Poll::Ready(Err(e)) => {
                    return Accept::Err(NetError::io(format!("accept on socket {id}"), &e))
                }
            }
        }
    }

    fn arm_retry(&mut self) {
        if self.retry.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let waker = self.waker.clone();
        self.retry = Some(tokio::spawn(async move {
            tokio::time::sleep(EXHAUSTED_RETRY).await;
            waker.wake();
        }));
    }
}

impl Drop for ListenerEntry {
    fn drop(&mut self) {
        if let Some(t) = self.retry.take() {
            t.abort();
        }
    }
}

/// Errors meaning "no resources right now", not "this listener is broken".
fn is_exhaustion(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(
            e.raw_os_error(),
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
        )
    }
    #[cfg(not(unix))]
    {
        e.kind() == io::ErrorKind::OutOfMemory
    }
}

/// Errors that concern only the one connection being accepted (see accept(2): Linux passes
/// pending network errors of the new socket through accept), so the next accept may succeed.
fn is_transient(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    if matches!(
        e.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::Interrupted
    ) {
        return true;
    }
    #[cfg(unix)]
    {
        matches!(
            e.raw_os_error(),
            Some(
                libc::EPROTO
                    | libc::EPERM
                    | libc::ENETDOWN
                    | libc::ENOPROTOOPT
                    | libc::EHOSTDOWN
                    | libc::EHOSTUNREACH
                    | libc::EOPNOTSUPP
                    | libc::ENETUNREACH
            )
        ) || is_enonet(e)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[cfg(target_os = "linux")]
fn is_enonet(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENONET)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn is_enonet(_: &io::Error) -> bool {
    false
}

/// Creates a non-blocking listening socket (SO_REUSEADDR so a restarted server can rebind
/// while old connections sit in TIME_WAIT; IPV6_V6ONLY as asked; SO_REUSEPORT when asked, so
/// several worker processes share the port and the kernel spreads connections over them).
pub(crate) fn bind(
    addr: SocketAddr,
    v6only: bool,
    backlog: u32,
    reuse_port: bool,
) -> io::Result<TcpListener> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // On Windows SO_REUSEADDR would let another process steal the port; skip it there.
    #[cfg(unix)]
    sock.set_reuse_address(true)?;
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    if reuse_port {
        sock.set_reuse_port(true)?;
    }
    #[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
    if reuse_port {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "SO_REUSEPORT is not available",
        ));
    }
    if addr.is_ipv6() {
        sock.set_only_v6(v6only)?;
    }
    sock.bind(&addr.into())?;
    sock.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    sock.set_nonblocking(true)?;
    TcpListener::from_std(sock.into())
}
