//! Connected streams: non-blocking reads and writes, with readiness registration only when
//! an operation has to wait.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::Shutdown;
use std::task::{Context, Poll, Waker};

use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::{Done, ErrorKind, Id, NetError};

/// Size of the one scratch buffer every read goes through. A pending receive owns no buffer,
/// whatever `max` it asked for; only the bytes actually read are copied out.
pub(crate) const SCRATCH: usize = 64 * 1024;

/// Reads what `sock` has, like `try_read`. A short read means the socket is now empty, so it
/// also makes tokio forget the read readiness: the next read then waits for the reactor
/// instead of paying for a syscall that fails with EAGAIN (tokio's own `poll_read` does the
/// same). strace on the echo benchmark: `recvfrom` per message 1.42 -> 1.00.
pub(crate) fn read_draining(sock: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let mut drained = None;
    let got = sock.try_io(Interest::READABLE, || {
        let n = (&*socket2::SockRef::from(sock)).read(buf)?;
        if n > 0 && n < buf.len() {
            drained = Some(n);
            // Reported as WouldBlock only so that tokio clears the readiness.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    });
    drained.map_or(got, Ok)
}

/// The part of the shared read buffer a receive of at most `max` bytes reads into (the
/// buffer is allocated on first use).
pub(crate) fn scratch_for(scratch: &mut Vec<u8>, max: usize) -> &mut [u8] {
    if scratch.is_empty() {
        scratch.resize(SCRATCH, 0);
    }
    &mut scratch[..max.min(SCRATCH)]
}

/// A send that could not be written at once: the rest goes out when the socket is writable.
pub(crate) struct PendingSend {
    pub op: Id,
    pub data: Vec<u8>,
    pub written: usize,
}

/// Where the sending half stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteHalf {
    Open,
    /// `shutdown` was called while sends were queued: shut down once they are written.
    ShutdownQueued,
    Shutdown,
}

/// What a receive waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Want {
    /// 1..=max bytes, whatever arrives first (`recv`).
    Some(usize),
    /// The bytes up to and including a delimiter (`recv_until`). Boxed so that the common
    /// receive stays small in every idle connection's queue.
    Until(Box<Delimited>),
}

/// What a `recv_until` waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delimited {
    /// Not empty.
    pub delimiter: Vec<u8>,
    /// At most this many bytes, delimiter included.
    pub max: usize,
}

/// The two independent queues of waiting operations of a connection, plus the state of its
/// sending half. Shared by TCP and TLS streams so `Net` serves both with the same code.
pub(crate) struct Queues {
    /// Waiting receives, served in order.
    pub reads: VecDeque<(Id, Want)>,
    /// Bytes read ahead by a `recv_until` past its delimiter (or while it waits for one):
    /// every later receive takes from here before reading the socket, so nothing is lost.
    pub held: Held,
    /// Waiting sends, written strictly one after another.
    pub writes: VecDeque<PendingSend>,
    pub write_half: WriteHalf,
}

/// Read-ahead bytes, taken from the front. Taking moves a start offset instead of the
/// remaining bytes, so reading many short lines out of one large read costs linear time.
#[derive(Default)]
pub(crate) struct Held {
    buf: Vec<u8>,
    start: usize,
}

impl Held {
    /// The bytes held.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the first `n` bytes (at most all of them).
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        let end = self.start + n.min(self.len());
        let out = self.buf[self.start..end].to_vec();
        self.start = end;
        if self.start == self.buf.len() {
            // Empty again: drop the allocation, so an idle connection holds no buffer.
            *self = Held::default();
        }
        out
    }

    /// Appends `more`, first reclaiming the space of bytes already taken once that is at
    /// least half the buffer (each byte is moved at most once on average).
    pub(crate) fn extend(&mut self, more: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(more);
    }
}

impl Queues {
    pub(crate) fn new() -> Queues {
        Queues {
            reads: VecDeque::new(),
            held: Held::default(),
            writes: VecDeque::new(),
            write_half: WriteHalf::Open,
        }
    }

    /// Removes the waiting receive `op`, or the send `op` if none of its bytes went out yet
    /// (a send partly written cannot be taken back without corrupting the stream).
    pub(crate) fn cancel(&mut self, op: crate::Id) -> bool {
        if let Some(i) = self.reads.iter().position(|(o, _)| *o == op) {
            return self.reads.remove(i).is_some();
        }
        match self.writes.iter().position(|w| w.op == op) {
            Some(i) if self.writes[i].written == 0 => self.writes.remove(i).is_some(),
            _ => false,
        }
    }
}

/// What `Net` needs from a connection, TCP or TLS. Generic (not `dyn`) at every use, so the
/// TCP hot path pays nothing for TLS.
pub(crate) trait ByteStream {
    /// The waiting operations.
    fn q(&mut self) -> &mut Queues;
    /// One receive of at most `max` bytes. `None`: nothing there yet, the read waker is
    /// registered. End of stream is `Some(Ok(empty))`.
    fn read_once(
        &mut self,
        id: Id,
        max: usize,
        scratch: &mut Vec<u8>,
    ) -> Option<Result<Done, NetError>>;
    /// Hands as much of `data[*written..]` to the kernel as it takes. `Ok(true)`: all of it.
    /// `Ok(false)`: the write waker is registered.
    fn write_some(&mut self, id: Id, data: &[u8], written: &mut usize) -> Result<bool, NetError>;
    /// Closes the sending half (TLS: after close_notify has gone out).
    fn shutdown_now(&mut self, id: Id) -> Result<(), NetError>;
    /// Writes protocol output that no send is waiting for (TLS records such as session
    /// tickets or close_notify). TCP has none.
    fn flush_extra(&mut self) {}
}

/// A connected TCP stream and its queues of waiting operations.
pub(crate) struct StreamEntry {
    pub sock: TcpStream,
    /// The remote address, kept from the start: the OS forgets it once both halves are shut.
    pub peer: Option<std::net::SocketAddr>,
    pub q: Queues,
    read_waker: Waker,
    write_waker: Waker,
}

impl StreamEntry {
    pub(crate) fn new(sock: TcpStream, read_waker: Waker, write_waker: Waker) -> StreamEntry {
        // Scripts send small messages and wait for answers; Nagle would add 40 ms stalls.
        let _ = sock.set_nodelay(true);
        StreamEntry {
            peer: sock.peer_addr().ok(),
            sock,
            q: Queues::new(),
            read_waker,
            write_waker,
        }
    }

    /// The error for a send on a stream whose sending half is (being) shut down.
    pub(crate) fn shut_error(id: Id) -> NetError {
        NetError::new(
            ErrorKind::Closed,
            format!("socket {id} is shut down for writing"),
        )
    }
}

impl ByteStream for StreamEntry {
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
            match read_draining(&self.sock, buf) {
                Ok(n) => return Some(Ok(Done::Bytes(buf[..n].to_vec()))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let mut cx = Context::from_waker(&self.read_waker);
                    match self.sock.poll_read_ready(&mut cx) {
                        Poll::Pending => return None,
                        Poll::Ready(Ok(())) => continue,
                        Poll::Ready(Err(e)) => return Some(Err(recv_error(id, &e))),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(recv_error(id, &e))),
            }
        }
    }

    fn write_some(&mut self, id: Id, data: &[u8], written: &mut usize) -> Result<bool, NetError> {
        while *written < data.len() {
            match self.sock.try_write(&data[*written..]) {
                Ok(0) => {
                    let e = io::Error::from(io::ErrorKind::WriteZero);
                    return Err(NetError::io(format!("send on socket {id}"), &e));
                }
                Ok(n) => *written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let mut cx = Context::from_waker(&self.write_waker);
                    match self.sock.poll_write_ready(&mut cx) {
                        Poll::Pending => return Ok(false),
                        Poll::Ready(Ok(())) => continue,
                        Poll::Ready(Err(e)) => {
                            return Err(NetError::io(format!("send on socket {id}"), &e))
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(NetError::io(format!("send on socket {id}"), &e)),
            }
        }
        Ok(true)
    }

    fn shutdown_now(&mut self, id: Id) -> Result<(), NetError> {
        self.q.write_half = WriteHalf::Shutdown;
        match socket2::SockRef::from(&self.sock).shutdown(Shutdown::Write) {
            Ok(()) => Ok(()),
            // The peer already went away: the half is closed either way.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            Err(e) => Err(NetError::io(format!("shutdown of socket {id}"), &e)),
        }
    }
}

/// Serves one receive on `s`: `None` if it must wait for more input (the read waker is then
/// registered). Bytes held from an earlier `recv_until` are served first.
pub(crate) fn read_want<S: ByteStream>(
    s: &mut S,
    id: Id,
    want: &Want,
    scratch: &mut Vec<u8>,
) -> Option<Result<Done, NetError>> {
    match want {
        Want::Some(max) if s.q().held.is_empty() => s.read_once(id, *max, scratch),
        Want::Some(max) => Some(Ok(Done::Bytes(s.q().held.take(*max)))),
        Want::Until(d) => read_until(s, id, &d.delimiter, d.max, scratch),
    }
}

/// `recv_until`: reads into the held buffer until it holds `delimiter` (within `max` bytes) or
/// the stream ends.
fn read_until<S: ByteStream>(
    s: &mut S,
    id: Id,
    delimiter: &[u8],
    max: usize,
    scratch: &mut Vec<u8>,
) -> Option<Result<Done, NetError>> {
    // Where the delimiter may start that was not searched yet.
    let mut from = 0;
    loop {
        let held = &mut s.q().held;
        if let Some(at) = find(&held.bytes()[from..], delimiter) {
            let end = from + at + delimiter.len();
            if end <= max {
                return Some(Ok(Done::Bytes(held.take(end))));
            }
        }
        if held.len() >= max {
            return Some(Err(NetError::new(
                ErrorKind::InvalidInput,
                format!(
                    "recv_until on socket {id}: no delimiter within {max} bytes (they stay \
                     buffered for the next receive)"
                ),
            )));
        }
        from = held.len().saturating_sub(delimiter.len() - 1);
        match s.read_once(id, SCRATCH, scratch)? {
            Ok(Done::Bytes(more)) if more.is_empty() => {
                // End of stream: what is left, then (next time) empty bytes.
                let rest = s.q().held.len();
                return Some(Ok(Done::Bytes(s.q().held.take(rest))));
            }
            Ok(Done::Bytes(more)) => s.q().held.extend(&more),
            other => return Some(other),
        }
    }
}

/// The first position of `needle` (not empty) in `hay`: a scan for its first byte, then a
/// comparison of the rest there.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = hay[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if hay[at + 1..].starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn recv_error(id: Id, e: &io::Error) -> NetError {
    NetError::io(format!("recv on socket {id}"), e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_locates_the_first_whole_delimiter() {
        assert_eq!(find(b"abc\r\n", b"\r\n"), Some(3));
        assert_eq!(find(b"a\rb\r\n", b"\r\n"), Some(3));
        assert_eq!(find(b"abc\r", b"\r\n"), None);
        assert_eq!(find(b"", b"\n"), None);
        assert_eq!(find(b"\n", b"\n"), Some(0));
        assert_eq!(find(b"xx--x--y", b"--y"), Some(5));
    }

    #[test]
    fn held_bytes_come_out_in_order_and_the_buffer_is_reclaimed() {
        let mut h = Held::default();
        h.extend(b"one\ntwo\nthree");
        assert_eq!(h.take(4), b"one\n");
        assert_eq!(h.bytes(), b"two\nthree");
        assert_eq!(h.take(4), b"two\n");
        // More than half was taken: appending moves the rest to the front first.
        h.extend(b"!");
        assert_eq!((h.start, h.bytes()), (0, &b"three!"[..]));
        assert_eq!(h.take(100), b"three!");
        assert!(h.is_empty());
        assert_eq!(h.buf.capacity(), 0);
    }
}
