//! Echo-server micro benchmark: a server written directly on `kiwi_net::Net` (driven the way
//! the Kiwi runtime drives it) against a plain tokio echo server, in the same run.
//!
//! Both servers run on one thread (current-thread runtime); the load generator runs on
//! another thread: `CONNS` connections, closed loop, 64-byte messages. Reports messages per
//! second and the server thread's CPU time per message (from /proc/thread-self/schedstat),
//! which stays meaningful even when the client is the bottleneck.
//!
//! `cargo run --release -p kiwi-net --example echo_bench [seconds]`

use std::cell::Cell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use kiwi_net::{Completion, Done, Id, Net, NetError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONNS: usize = 50;
const MSG: usize = 64;

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// What a pending op was for, as a script's task would remember it.
enum Op {
    Accept,
    Recv(Id),
    Send(Id),
}

/// The Kiwi-style server: every connection is "recv; send it back; repeat".
async fn net_server(addr_tx: mpsc::Sender<SocketAddr>, stop: Arc<AtomicBool>, cpu: Arc<AtomicU64>) {
    let ids = Rc::new(Cell::new(1));
    let net = Net::new(ids.clone());
    let next = || {
        let id = ids.get();
        ids.set(id + 1);
        id
    };
    let l = net.tcp_server("127.0.0.1", 0, 1024, false).expect("listen");
    addr_tx
        .send(net.local_addr(l).expect("addr"))
        .expect("send addr");
    let mut ops: HashMap<Id, Op> = HashMap::new();
    // Results that are ready to be handled (immediate or from completions).
    let mut ready: Vec<(Op, Result<Done, NetError>)> = Vec::new();
    let mut out: Vec<Completion> = Vec::new();
    let start =
        |op: Op, ready: &mut Vec<(Op, Result<Done, NetError>)>, ops: &mut HashMap<Id, Op>| {
            let id = next();
            let r = match op {
                Op::Accept => net.accept(id, l),
                Op::Recv(s) => net.recv(id, s, 4096),
                Op::Send(_) => unreachable!(),
            };
            match r {
                Some(r) => ready.push((op, r)),
                None => {
                    ops.insert(id, op);
                }
            }
        };
    start(Op::Accept, &mut ready, &mut ops);
    let cpu0 = thread_cpu_ns();
    let mut tick = Box::pin(tokio::time::sleep(Duration::from_millis(50)));
    while !stop.load(Ordering::Relaxed) {
        while let Some((op, r)) = ready.pop() {
            match (op, r) {
                (Op::Accept, Ok(Done::Socket(s))) => {
                    start(Op::Recv(s), &mut ready, &mut ops);
                    start(Op::Accept, &mut ready, &mut ops);
                }
                (Op::Recv(s), Ok(Done::Bytes(b))) if !b.is_empty() => {
                    let id = next();
                    match net.send(id, s, &b) {
                        Some(r) => ready.push((Op::Send(s), r)),
                        None => {
                            ops.insert(id, Op::Send(s));
                        }
                    }
                }
                (Op::Send(s), Ok(_)) => start(Op::Recv(s), &mut ready, &mut ops),
                (Op::Recv(s), _) | (Op::Send(s), _) => net.close(s),
                (Op::Accept, _) => start(Op::Accept, &mut ready, &mut ops),
            }
        }
        // A persistent timer (as the runtime's next-deadline sleep would be): it is only
        // re-armed when it fires, not on every wait.
        tokio::select! {
            biased;
            _ = net.completion_ready() => {}
            _ = &mut tick => tick.as_mut().reset(tokio::time::Instant::now() + Duration::from_millis(50)),
        }
        net.take_completions(&mut out);
        for c in out.drain(..) {
            if let Some(op) = ops.remove(&c.op) {
                ready.push((op, c.result));
            }
        }
    }
    cpu.store(thread_cpu_ns() - cpu0, Ordering::Relaxed);
    net.close_all();
}

/// The reference: the textbook tokio echo server, one task per connection.
async fn tokio_server(
    addr_tx: mpsc::Sender<SocketAddr>,
    stop: Arc<AtomicBool>,
    cpu: Arc<AtomicU64>,
) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    addr_tx
        .send(l.local_addr().expect("addr"))
        .expect("send addr");
    let cpu0 = thread_cpu_ns();
    let accept = async {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                continue;
            };
            let _ = s.set_nodelay(true);
            tokio::task::spawn_local(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    };
    let stopped = async {
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        _ = accept => {}
        _ = stopped => {}
    }
    cpu.store(thread_cpu_ns() - cpu0, Ordering::Relaxed);
}

/// Closed-loop load: each connection sends 64 bytes and waits for them to come back.
fn load(addr: SocketAddr, secs: f64) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async move {
        let count = Rc::new(Cell::new(0u64));
        let counting = Rc::new(Cell::new(false));
        let local = tokio::task::LocalSet::new();
        for _ in 0..CONNS {
            let (count, counting) = (count.clone(), counting.clone());
            local.spawn_local(async move {
                let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
                s.set_nodelay(true).expect("nodelay");
                let msg = [7u8; MSG];
                let mut buf = [0u8; MSG];
                loop {
                    if s.write_all(&msg).await.is_err() || s.read_exact(&mut buf).await.is_err() {
                        return;
                    }
                    if counting.get() {
                        count.set(count.get() + 1);
                    }
                }
            });
        }
        local
            .run_until(async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                counting.set(true);
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                counting.set(false);
            })
            .await;
        count.get()
    })
}

type Server = fn(
    mpsc::Sender<SocketAddr>,
    Arc<AtomicBool>,
    Arc<AtomicU64>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

fn measure(name: &str, server: Server, secs: f64) -> (f64, f64) {
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let cpu = Arc::new(AtomicU64::new(0));
    let (s2, c2) = (stop.clone(), cpu.clone());
    let t = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        tokio::task::LocalSet::new().block_on(&rt, server(tx, s2, c2));
    });
    let addr = rx.recv().expect("server address");
    let t0 = Instant::now();
    let n = load(addr, secs);
    let _ = t0;
    stop.store(true, Ordering::Relaxed);
    t.join().expect("server thread");
    let rate = n as f64 / secs;
    let cpu_per_msg =
        cpu.load(Ordering::Relaxed) as f64 / (n.max(1) as f64) / 1000.0 * (secs / (secs + 0.5));
    println!("{name:>6}: {rate:>10.0} msg/s   server CPU {cpu_per_msg:.2} us/msg");
    (rate, cpu_per_msg)
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let mut net = Vec::new();
    let mut tok = Vec::new();
    for _ in 0..std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4)
    {
        tok.push(measure(
            "tokio",
            |a, s, c| Box::pin(tokio_server(a, s, c)),
            secs,
        ));
        net.push(measure(
            "net",
            |a, s, c| Box::pin(net_server(a, s, c)),
            secs,
        ));
    }
    let best = |v: &[(f64, f64)]| v.iter().map(|x| x.0).fold(0.0, f64::max);
    let cpu = |v: &[(f64, f64)]| v.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    println!(
        "net/tokio throughput ratio {:.2}; server CPU per message ratio {:.2}",
        best(&net) / best(&tok),
        cpu(&net) / cpu(&tok)
    );
}
