//! Closed-loop UDP echo load generator for bench/udp (loopback only): `--conns` sockets each
//! send a `--size`-byte datagram, wait for its echo (checked), and repeat. Datagrams echoed
//! during `--warmup-secs` are not counted; those in the next `--secs` are. A datagram not
//! echoed within 200 ms counts as lost and is sent again. With `--server-pid` the server's
//! CPU time (utime+stime) over the measured seconds is reported. Prints one JSON line.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::net::UdpSocket;

#[derive(Parser, Debug)]
#[command(about = "Closed-loop UDP echo load generator (loopback only)")]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    #[arg(long)]
    port: u16,
    #[arg(long, default_value_t = 50)]
    conns: usize,
    #[arg(long, default_value_t = 64)]
    size: usize,
    #[arg(long, default_value_t = 2.0)]
    warmup_secs: f64,
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    #[arg(long)]
    server_pid: Option<u32>,
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn main() {
    let args = Args::parse();
    if !args.host.is_loopback() {
        eprintln!("kiwi-udp-loadgen: {} is not a loopback address", args.host);
        std::process::exit(2);
    }
    let target = SocketAddr::new(args.host, args.port);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let counted = Arc::new(AtomicU64::new(0));
    let lost = Arc::new(AtomicU64::new(0));
    let counting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let bad = Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        for c in 0..args.conns {
            let (counted, lost, counting, bad) =
                (counted.clone(), lost.clone(), counting.clone(), bad.clone());
            let size = args.size;
            tokio::spawn(async move {
                let bind: SocketAddr = if target.is_ipv6() { "[::1]:0" } else { "127.0.0.1:0" }.parse().unwrap();
                let sock = UdpSocket::bind(bind).await.unwrap();
                sock.connect(target).await.unwrap();
                let mut msg = vec![0u8; size];
                let mut buf = vec![0u8; 65536];
                let mut seq: u64 = 0;
                loop {
                    seq += 1;
                    for (i, b) in msg.iter_mut().enumerate() {
                        *b = (seq as usize + i * 7 + c) as u8;
                    }
                    if sock.send(&msg).await.is_err() {
                        lost.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                    match tokio::time::timeout(Duration::from_millis(200), sock.recv(&mut buf)).await {
                        Ok(Ok(n)) if buf[..n] == msg[..] => {
                            if counting.load(Ordering::Relaxed) {
                                counted.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Ok(Ok(_)) => {
                            bad.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            lost.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
        tokio::time::sleep(Duration::from_secs_f64(args.warmup_secs)).await;
        let cpu0 = args.server_pid.and_then(cpu_ticks);
        counting.store(true, Ordering::Relaxed);
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_secs_f64(args.secs)).await;
        counting.store(false, Ordering::Relaxed);
        let elapsed = t0.elapsed().as_secs_f64();
        let cpu1 = args.server_pid.and_then(cpu_ticks);
        let n = counted.load(Ordering::Relaxed);
        let cpu = match (cpu0, cpu1) {
            (Some(a), Some(b)) => format!("{:.3}", (b - a) as f64 / 100.0),
            _ => "null".into(),
        };
        println!(
            "{{\"msgs_per_sec\":{:.1},\"msgs\":{n},\"lost\":{},\"bad\":{},\"server_cpu_s\":{cpu},\"secs\":{elapsed:.3}}}",
            n as f64 / elapsed,
            lost.load(Ordering::Relaxed),
            bad.load(Ordering::Relaxed)
        );
    });
    std::process::exit(0);
}
