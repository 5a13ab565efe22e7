//! Idle connections must be cheap: each accepted connection with one pending receive (even
//! with a huge `max`) should cost well under 4 KiB of user-space memory. Measured with a
//! counting global allocator, which is why this test lives in its own binary.

mod util;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::TcpStream as StdStream;
use std::sync::atomic::{AtomicUsize, Ordering};

use util::{run, Driver};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Descriptors we may use: two per connection, plus headroom.
fn connection_budget() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc call on a valid struct.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    let fds = if rc == 0 { lim.rlim_cur as usize } else { 1024 };
    ((fds.saturating_sub(200)) / 2).min(10_000)
}

#[test]
fn idle_connections_with_pending_recv_are_small() {
    let n = connection_budget();
    assert!(n >= 200, "too few descriptors to measure ({n} connections)");
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        // Warm up: the scratch buffer, table and map allocations are one-off costs.
        let warm = StdStream::connect(addr).unwrap();
        let ws = d.accept(l).await.unwrap();
        assert!(d.net.recv(d.op(), ws, 1 << 40).is_none());
        let before = LIVE.load(Ordering::Relaxed);
        let mut peers = Vec::with_capacity(n);
        let peers_bytes = n * std::mem::size_of::<StdStream>();
        for _ in 0..n {
            peers.push(StdStream::connect(addr).unwrap());
            let s = d.accept(l).await.unwrap();
            assert!(d.net.recv(d.op(), s, 1 << 40).is_none());
        }
        let used = LIVE
            .load(Ordering::Relaxed)
            .saturating_sub(before)
            .saturating_sub(peers_bytes);
        let per = used / n;
        println!("{n} idle connections with a pending recv: {per} bytes each");
        assert!(per < 2048, "{per} bytes per idle connection");
        assert_eq!(d.net.pending(), n + 1);
        drop(warm);
    });
}
