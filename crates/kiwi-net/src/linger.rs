//! Lingering close: what happens to a connection after the script closes it.
//!
//! Closing a socket that still has unread input makes the kernel answer with a reset, and a
//! reset makes the peer drop data it had received but not read yet: a script that sends a
//! reply and closes at once would truncate it (8 MiB over TLS arrived as 180 KB). So a closed
//! connection with unread input, or with TLS records (close_notify) not yet written, is handed
//! to a background task, as nginx's `lingering_close` does: it writes what TLS still has to
//! say, shuts the sending half (the peer reads end of stream after the last byte), then reads
//! and discards until the peer closes, an error, or [`LINGER`] has passed, and only then
//! closes the socket. A quiet connection (nothing unread, nothing left to write) is closed at
//! once, so closing frees its descriptor at once, as scripts near the descriptor limit expect.
//! The script's id is free at once either way.

use std::io;
use std::net::Shutdown;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::Connection;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::tls_stream::Io;

/// The longest a closed connection lingers (and the end of a script waits for them).
pub const LINGER: Duration = Duration::from_secs(5);

/// How many connections are lingering, and a signal for when that reaches zero.
#[derive(Default)]
pub(crate) struct Lingering {
    count: AtomicUsize,
    idle: Notify,
}

impl Lingering {
    /// Closes `sock` (after the TLS connection's output, if any): at once when that loses
    /// nothing, else by lingering.
    pub(crate) fn start(self: &Arc<Self>, sock: TcpStream, mut tls: Option<Connection>) {
        // A write that failed leaves nothing to deliver: the connection is gone anyway.
        let written = match tls.as_mut() {
            Some(conn) => write_now(&sock, conn).unwrap_or(true),
            None => true,
        };
        if written && !has_unread_input(&sock) {
            return;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            // No runtime (a `Net` used outside one): nothing can run the task; close now.
            return;
        }
        self.count.fetch_add(1, Ordering::SeqCst);
        let lingering = self.clone();
        tokio::spawn(async move {
            linger(sock, tls, Instant::now() + LINGER).await;
            if lingering.count.fetch_sub(1, Ordering::SeqCst) == 1 {
                lingering.idle.notify_waiters();
            }
        });
    }

    /// How many connections are lingering now.
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Resolves once no connection is lingering.
    pub(crate) async fn done(&self) {
        loop {
            let idle = self.idle.notified();
            if self.count() == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// Writes what the TLS connection has queued as far as the socket takes it now: `Ok(true)`
/// if all of it, `Ok(false)` if the socket is full.
fn write_now(sock: &TcpStream, conn: &mut Connection) -> io::Result<bool> {
    while conn.wants_write() {
        match conn.write_tls(&mut Io(sock)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Whether the kernel holds received bytes nobody read (closing now would send a reset).
fn has_unread_input(sock: &TcpStream) -> bool {
    let mut probe = [std::mem::MaybeUninit::<u8>::uninit()];
    // Peeking never blocks here (the socket is non-blocking) and consumes nothing.
    matches!(socket2::SockRef::from(sock).peek(&mut probe), Ok(n) if n > 0)
}

async fn linger(sock: TcpStream, tls: Option<Connection>, deadline: Instant) {
    if let Some(mut conn) = tls {
        if flush_tls(&sock, &mut conn, deadline).await.is_err() {
            return;
        }
    }
    let _ = socket2::SockRef::from(&sock).shutdown(Shutdown::Write);
    let mut discard = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, sock.readable()).await {
            Ok(Ok(())) => match sock.try_read(&mut discard) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            },
            // The peer never closed, or the socket failed: close now.
            Ok(Err(_)) | Err(_) => return,
        }
    }
}

/// Writes the TLS records still queued (close_notify among them), waiting for room.
async fn flush_tls(sock: &TcpStream, conn: &mut Connection, deadline: Instant) -> io::Result<()> {
    while !write_now(sock, conn)? {
        tokio::time::timeout_at(deadline, sock.writable())
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    }
    Ok(())
}
