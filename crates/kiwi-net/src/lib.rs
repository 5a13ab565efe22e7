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
//! `cargo run --release -p kiwi-net --example echo_bench [secs] [rounds]`: a server on [`Net`]
//! driven the way the runtime drives it (immediate results handled at once, otherwise
//! `select!` on [`Net::completion_ready`] and a timer) against the textbook tokio echo
//! server (one `spawn_local` task per connection), 64-byte messages, 50 connections, closed
//! loop, server on one thread, load generator on another. On the shared 2-core development
//! VM (other benchmarks running at the same time, so single runs vary by +-30%), paired
//! rounds gave net/tokio throughput ratios of 0.82-1.35 (best-of-4: 0.90-1.00) and server CPU
//! per message of 3.5-5.5 us for both (ratio of minimums 1.02-1.25). `perf` shows the kernel
//! TCP path dominating; kiwi-net's own functions are under 1% of samples. A spawn-per-socket
//! design would add task and channel overhead on top of exactly what the tokio server does,
//! so the waker design was kept.
//!
//! Idle cost (`tests/memory.rs`): 9,900 accepted connections, each with a pending receive of
//! `max` = 2^40, cost 666 bytes of heap each (tokio's registration, our table entry, two
//! wakers, the receive queue).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod completions;
mod error;
mod handles;
mod linger;
mod listener;
mod net;
mod options;
mod resolve;
mod stdin;
mod stream;
mod tls_config;
mod tls_listener;
mod tls_stream;
mod tls_verify;
mod wake;

pub use completions::{Completion, Done, Payload};
pub use error::{ErrorKind, NetError};
pub use kiwi_proto::{HttpReply, HttpRequest, HttpServeOptions, Record, SmtpMail, SmtpSecurity};
pub use linger::LINGER;
pub use net::http_client::DEFAULT_HTTP_TIMEOUT;
pub use net::udp::MAX_DATAGRAM;
pub use net::{Cancelled, Net, SocketKind};
pub use options::{OptionValue, OPTION_NAMES};
pub use tls_listener::{MAX_HANDSHAKES, TLS_HANDSHAKE_TIMEOUT};

/// Socket and operation ids, drawn from the runtime-wide counter shared with the scheduler.
pub type Id = i64;
