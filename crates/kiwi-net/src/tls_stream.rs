//! TLS connections: a rustls state machine driven over a non-blocking `TcpStream`.
//!
//! No task and no `AsyncRead` wrapper: like a TCP stream, a TLS stream is driven by the host
//! when an operation is tried or when the reactor reports readiness. `read_tls` /
//! `write_tls` go through `try_read` / `try_write`; on `WouldBlock` the stream registers the
//! same per-direction wakers a TCP stream uses (`wake.rs`).
//!
//! Buffers: rustls keeps decrypted plaintext that a receive did not take (because of its
//! `max`) and hands it to the next receive, so `max` is honoured exactly; that buffer is
//! empty when the connection is idle. Encrypted output waits in rustls only until the
//! kernel takes it.
//!
//! End of stream: a close_notify from the peer reads as empty bytes. So does a TCP EOF
//! without close_notify, which rustls reports as a truncation (`UnexpectedEof`): the
//! contract makes both "end of stream" for scripts. A TCP reset is an error.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::task::{Context, Poll, Waker};

use rustls::Connection;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::handles::Handle;
use crate::stream::{read_draining, scratch_for, ByteStream, Queues, WriteHalf};
use crate::tls_verify::protocol_reason;
use crate::{Done, ErrorKind, Id, NetError};

/// Who is waiting for a connection that is not a script's socket yet.
pub(crate) enum Owner {
    /// A `tls_connect` operation; `peer` is `host:port` for messages.
    Connect { op: Id, peer: String },
    /// A TLS listener (by handle), which hands the connection to an accept.
    Listener(Handle),
}

/// Why reading records or handshaking stopped.
pub(crate) enum Failure {
    Io(io::Error),
    Tls(rustls::Error),
    /// The peer closed the TCP connection before the handshake finished.
    Eof,
    /// The handshake did not finish in time.
    TimedOut,
}

impl Failure {
    /// The error a script sees, `what` naming the operation.
    pub(crate) fn into_error(self, what: &str) -> NetError {
        match self {
            Failure::Io(e) => NetError::io(what, &e),
            Failure::Tls(e) => NetError::new(
                ErrorKind::Tls,
                format!("{what} failed: {}", protocol_reason(&e)),
            ),
            Failure::Eof => NetError::new(
                ErrorKind::Tls,
                format!("{what} failed: the peer closed the connection during the handshake"),
            ),
            Failure::TimedOut => NetError::new(
                ErrorKind::Tls,
                format!("{what} failed: the handshake did not finish in time"),
            ),
        }
    }
}

/// Progress of reading records from the socket.
enum Step {
    /// Records were read and processed.
    Progress,
    /// The peer closed its sending half (TCP EOF).
    Eof,
    /// Nothing to read; the read waker is registered.
    Blocked,
    Failed(Failure),
}

/// Where a handshake stands after being driven.
pub(crate) enum Handshake {
    Done,
    Pending,
    Failed(Failure),
}

/// `io::Read` / `io::Write` over the non-blocking socket, for rustls.
pub(crate) struct Io<'a>(pub &'a TcpStream);

impl Read for Io<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_draining(self.0, buf)
    }
}

impl Write for Io<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A TLS connection: handshaking, waiting to be accepted, or a script's socket.
pub(crate) struct TlsStreamEntry {
    pub sock: TcpStream,
    /// The remote address, kept from the start: the OS forgets it once both halves are shut.
    pub peer: Option<std::net::SocketAddr>,
    pub conn: Connection,
    pub q: Queues,
    /// `Some` until the connection is handed to a script (handshaking, or finished and
    /// waiting for an accept); such an entry is invisible to the public API.
    pub owner: Option<Owner>,
    /// Fires the handshake deadline; aborted when the handshake ends or the entry drops.
    pub timer: Option<AbortOnDrop>,
    eof: bool,
    close_notify_sent: bool,
    /// The peer has sent at least one byte (a connection that has not is the first a listener
    /// at its handshake cap gives up).
    pub heard_from: bool,
    read_waker: Waker,
    write_waker: Waker,
}

/// A task that is aborted when this handle is dropped.
pub(crate) struct AbortOnDrop(pub JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl TlsStreamEntry {
    pub(crate) fn new(
        sock: TcpStream,
        conn: Connection,
        owner: Owner,
        read_waker: Waker,
        write_waker: Waker,
    ) -> TlsStreamEntry {
        // As for TCP: small request/response messages must not wait for Nagle.
        let _ = sock.set_nodelay(true);
        TlsStreamEntry {
            peer: sock.peer_addr().ok(),
            sock,
            conn,
            q: Queues::new(),
            owner: Some(owner),
            timer: None,
            eof: false,
            close_notify_sent: false,
            heard_from: false,
            read_waker,
            write_waker,
        }
    }

    /// Writes pending TLS records. `Ok(true)`: nothing left; `Ok(false)`: the write waker
    /// is registered.
    fn flush(&mut self) -> io::Result<bool> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut Io(&self.sock)) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let mut cx = Context::from_waker(&self.write_waker);
                    match self.sock.poll_write_ready(&mut cx) {
                        Poll::Pending => return Ok(false),
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(e)) => return Err(e),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Reads what the socket has into rustls and processes it (sending any alert or reply
    /// rustls produced, best effort).
    fn read_records(&mut self) -> Step {
        loop {
            match self.conn.read_tls(&mut Io(&self.sock)) {
                Ok(n) => {
                    self.heard_from |= n > 0;
                    let processed = self.conn.process_new_packets();
                    let _ = self.flush();
                    return match processed {
                        Err(e) => Step::Failed(Failure::Tls(e)),
                        Ok(_) if n == 0 => {
                            self.eof = true;
                            Step::Eof
                        }
                        Ok(_) => Step::Progress,
                    };
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let mut cx = Context::from_waker(&self.read_waker);
                    match self.sock.poll_read_ready(&mut cx) {
                        Poll::Pending => return Step::Blocked,
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(e)) => return Step::Failed(Failure::Io(e)),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Step::Failed(Failure::Io(e)),
            }
        }
    }

    /// Advances the handshake as far as the socket allows.
    pub(crate) fn drive_handshake(&mut self) -> Handshake {
        loop {
            if let Err(e) = self.flush() {
                return Handshake::Failed(Failure::Io(e));
            }
            if !self.conn.is_handshaking() {
                return Handshake::Done;
            }
            match self.read_records() {
                Step::Progress => {}
                Step::Eof if self.conn.is_handshaking() => return Handshake::Failed(Failure::Eof),
                Step::Eof => {}
                Step::Blocked => return Handshake::Pending,
                Step::Failed(f) => return Handshake::Failed(f),
            }
        }
    }

    /// Queues close_notify (once the handshake is done) and hands the socket and what TLS
    /// still has to write to a lingering close.
    pub(crate) fn close(mut self, lingering: &std::sync::Arc<crate::linger::Lingering>) {
        if !self.close_notify_sent && !self.conn.is_handshaking() {
            self.close_notify_sent = true;
            self.conn.send_close_notify();
        }
        lingering.start(self.sock, Some(self.conn));
    }
}

impl ByteStream for TlsStreamEntry {
    fn q(&mut self) -> &mut Queues {
        &mut self.q
    }

    fn read_once(
        &mut self,
        id: Id,
        max: usize,
        scratch: &mut Vec<u8>,
    ) -> Option<Result<Done, NetError>> {
        let buf = scratch_for(scratch, max);
        loop {
            match self.conn.reader().read(buf) {
                // 0: the peer sent close_notify.
                Ok(n) => return Some(Ok(Done::Bytes(buf[..n].to_vec()))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // TCP EOF without close_notify (a truncation): end of stream by contract.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Some(Ok(Done::Bytes(Vec::new())))
                }
                Err(e) => return Some(Err(NetError::io(format!("recv on socket {id}"), &e))),
            }
            if self.eof {
                return Some(Ok(Done::Bytes(Vec::new())));
            }
            match self.read_records() {
                Step::Progress | Step::Eof => {}
                Step::Blocked => return None,
                Step::Failed(f) => return Some(Err(f.into_error(&format!("recv on socket {id}")))),
            }
        }
    }

    fn write_some(&mut self, id: Id, data: &[u8], written: &mut usize) -> Result<bool, NetError> {
        loop {
            // Records already made go first; a new chunk is encrypted only once the kernel
            // has taken them, so rustls never holds more than one chunk of ciphertext.
            match self.flush() {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => return Err(NetError::io(format!("send on socket {id}"), &e)),
            }
            if *written == data.len() {
                return Ok(true);
            }
            match self.conn.writer().write(&data[*written..]) {
                Ok(0) => {
                    let e = io::Error::from(io::ErrorKind::WriteZero);
                    return Err(NetError::io(format!("send on socket {id}"), &e));
                }
                Ok(n) => *written += n,
                Err(e) => return Err(NetError::io(format!("send on socket {id}"), &e)),
            }
        }
    }

    fn shutdown_now(&mut self, id: Id) -> Result<(), NetError> {
        if !self.close_notify_sent {
            self.close_notify_sent = true;
            self.conn.send_close_notify();
        }
        match self.flush() {
            Ok(true) => {}
            // close_notify is still on its way: finish when the socket is writable.
            Ok(false) => {
                self.q.write_half = WriteHalf::ShutdownQueued;
                return Ok(());
            }
            Err(e) => {
                self.q.write_half = WriteHalf::Shutdown;
                return Err(NetError::io(format!("shutdown of socket {id}"), &e));
            }
        }
        self.q.write_half = WriteHalf::Shutdown;
        match socket2::SockRef::from(&self.sock).shutdown(Shutdown::Write) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            Err(e) => Err(NetError::io(format!("shutdown of socket {id}"), &e)),
        }
    }

    fn flush_extra(&mut self) {
        let _ = self.flush();
    }
}
