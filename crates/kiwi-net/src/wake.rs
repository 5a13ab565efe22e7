//! How the reactor tells the host which sockets became ready.
//!
//! Instead of one tokio task per socket (or per operation), each socket owns two small
//! [`Waker`]s, one per direction. They are registered with tokio's reactor through
//! `poll_read_ready` / `poll_write_ready` / `poll_accept` only while an operation on that
//! socket is waiting. When the reactor fires one, it records `(handle, direction)` in the
//! shared ready list and wakes the host future ([`crate::Net::completion_ready`]), which then
//! performs the I/O for exactly those sockets. A wake costs one uncontended mutex lock and a
//! `Vec` push; nothing is spawned and nothing is allocated per operation.
//!
//! The list lives behind an `Arc<Mutex<..>>` only because [`std::task::Wake`] requires
//! `Send + Sync`; every user is on the one runtime thread, so the lock is never contended.
//! Connect tasks (which must resolve names asynchronously) report through the same list.

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Wake, Waker};

use tokio::net::TcpStream;

use crate::handles::Handle;
use crate::{Id, NetError};

/// Which half of a socket became ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Readable (or, for a listener, a connection to accept).
    Read,
    /// Writable.
    Write,
    /// A TLS handshake's deadline passed (reported by its timer, not the reactor).
    Timeout,
}

/// The outcome of a connect task, handed to the host to turn into a socket id.
pub(crate) type Connected = (Id, Result<TcpStream, NetError>);

/// An operation finished off the runtime thread's I/O path (a line of standard input, a name
/// resolution), with its result.
pub(crate) type Finished = (Id, Result<crate::Done, NetError>);

#[derive(Default)]
struct Lists {
    ready: Vec<(Handle, Dir)>,
    connected: Vec<Connected>,
    finished: Vec<Finished>,
    host: Option<Waker>,
}

impl Lists {
    fn is_empty(&self) -> bool {
        self.ready.is_empty() && self.connected.is_empty() && self.finished.is_empty()
    }

    /// Wakes the host if `was_idle` (a non-empty list means it was woken and has not
    /// drained them yet).
    fn wake_if(&self, was_idle: bool) {
        if was_idle {
            if let Some(w) = &self.host {
                w.wake_by_ref();
            }
        }
    }
}

/// State shared between the reactor's wakers, connect tasks and the host.
#[derive(Default)]
pub(crate) struct Shared {
    lists: Mutex<Lists>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Lists> {
        // A panic elsewhere cannot leave the lists inconsistent (every update is one push),
        // so a poisoned lock is still usable.
        self.lists.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a ready socket and wakes the host if the lists were empty (a non-empty list
    /// means the host has already been woken and not yet drained them).
    pub(crate) fn push_ready(&self, h: Handle, dir: Dir) {
        let mut l = self.lock();
        let was_idle = l.is_empty();
        l.ready.push((h, dir));
        l.wake_if(was_idle);
    }

    /// Records a finished connect and wakes the host.
    pub(crate) fn push_connected(&self, c: Connected) {
        let mut l = self.lock();
        let was_idle = l.is_empty();
        l.connected.push(c);
        l.wake_if(was_idle);
    }

    /// Records an operation finished by a task or thread and wakes the host.
    pub(crate) fn push_finished(&self, done: Finished) {
        let mut l = self.lock();
        let was_idle = l.is_empty();
        l.finished.push(done);
        l.wake_if(was_idle);
    }

    /// Takes the operations finished so far by tasks and threads.
    pub(crate) fn take_finished(&self, out: &mut Vec<Finished>) {
        out.append(&mut self.lock().finished);
    }

    /// Wakes the host unconditionally (completions were queued outside the reactor path).
    pub(crate) fn wake_host(&self) {
        if let Some(w) = &self.lock().host {
            w.wake_by_ref();
        }
    }

    /// Swaps the lists into the caller's (empty) buffers, so their capacity is reused.
    pub(crate) fn take(&self, ready: &mut Vec<(Handle, Dir)>, connected: &mut Vec<Connected>) {
        let mut l = self.lock();
        std::mem::swap(&mut l.ready, ready);
        std::mem::swap(&mut l.connected, connected);
    }

    /// Remembers the host's waker; returns true if events arrived meanwhile (poll again).
    pub(crate) fn register_host(&self, waker: &Waker) -> bool {
        let mut l = self.lock();
        match &l.host {
            Some(w) if w.will_wake(waker) => {}
            _ => l.host = Some(waker.clone()),
        }
        !l.is_empty()
    }
}

/// The waker registered with the reactor for one direction of one socket.
struct SocketWaker {
    shared: Arc<Shared>,
    handle: Handle,
    dir: Dir,
}

impl Wake for SocketWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.push_ready(self.handle, self.dir);
    }
}

/// Builds the waker for `dir` of the socket at `handle`. Made once per socket and direction;
/// registering it again is a reference-count increment at most.
pub(crate) fn socket_waker(shared: &Arc<Shared>, handle: Handle, dir: Dir) -> Waker {
    Waker::from(Arc::new(SocketWaker {
        shared: shared.clone(),
        handle,
        dir,
    }))
}
