//! `kiwi-loadgen`: TCP echo load generator for `bench/echo` (loopback only).
//!
//! Three modes, each printing one JSON line on stdout when done:
//!
//! * default, closed loop: `--conns` connections each send a `--size`-byte
//!   message, wait for the whole echo, check every byte, record the round-trip
//!   time and repeat. Messages completed during the `--warmup-secs` warm-up are
//!   not counted; those completed in the following `--secs` are. With
//!   `--server-pid` the server's CPU time (utime+stime from /proc/PID/stat, all
//!   threads) is sampled exactly when the measured window starts and ends.
//! * `--churn`: connections come and go. Each of `--conns` workers opens a
//!   connection, does `--per-conn` messages, closes it and reconnects, until
//!   `--total` messages are done. With `--server-pid` and `--sample-file`, the
//!   server's RSS is written every `--sample-ms` ms as `secs msgs rss_kib`.
//! * `--idle N`: opens N connections, sends nothing, and with `--server-pid`
//!   reports the server's RSS before connecting and after `--settle-secs` with
//!   all N idle; then checks on `--verify` connections that the server still
//!   echoes, and keeps everything open for `--hold-secs`.
//!
//! With `--tls --ca CA.pem [--sni NAME]` every connection of these modes is a
//! TLS 1.3 client connection (rustls, ring provider, no session resumption)
//! verified against CA.pem, and the echo runs over it.
//!
//! * `--handshakes` (implies `--tls`): `--conns` workers each repeatedly open a
//!   TCP connection, do a full TLS 1.3 handshake (resumption disabled, so never
//!   a resumed one), send one `--size`-byte message, check its echo (so the
//!   server really finished the handshake), send close_notify and close.
//!   Counted and CPU-sampled like the closed loop: a handshake counts if its
//!   echo completed inside the measured window.

use std::fs::File;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use clap::Parser;
use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Longest a single round trip or connect may take before it counts as an error.
const OP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Parser, Debug)]
#[command(about = "Closed-loop TCP echo load generator (loopback only)")]
struct Args {
    /// Server address; must be a loopback address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long)]
    port: u16,
    /// Concurrent connections (closed loop and churn).
    #[arg(long, default_value_t = 50)]
    conns: usize,
    /// Message size in bytes.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Warm-up seconds (closed loop): messages completed then are not counted.
    #[arg(long, default_value_t = 2.0)]
    warmup_secs: f64,
    /// Measured seconds (closed loop).
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    /// Server process id: sample its CPU time (closed loop) or RSS (churn, idle).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Churn mode: every connection does --per-conn messages, closes, reconnects.
    #[arg(long)]
    churn: bool,
    /// Churn: total messages over all connections.
    #[arg(long, default_value_t = 1_000_000)]
    total: u64,
    /// Churn: messages per connection before it is closed.
    #[arg(long, default_value_t = 100)]
    per_conn: u64,
    /// Churn: write `secs msgs rss_kib` samples of --server-pid here.
    #[arg(long)]
    sample_file: Option<String>,
    /// Churn: sampling interval in milliseconds.
    #[arg(long, default_value_t = 500)]
    sample_ms: u64,
    /// Idle mode: open this many connections and keep them idle.
    #[arg(long)]
    idle: Option<usize>,
    /// Idle: seconds to wait after the last connect before measuring RSS.
    #[arg(long, default_value_t = 2.0)]
    settle_secs: f64,
    /// Idle: connections (spread evenly) that must still echo a message.
    #[arg(long, default_value_t = 10)]
    verify: usize,
    /// Idle: seconds to keep the connections open after measuring.
    #[arg(long, default_value_t = 0.0)]
    hold_secs: f64,
    /// Idle: connects in flight at once.
    #[arg(long, default_value_t = 256)]
    connect_batch: usize,
    /// Speak TLS 1.3 on every connection (needs --ca).
    #[arg(long)]
    tls: bool,
    /// TLS: PEM file of the CA certificate(s) the server's chain must lead to.
    #[arg(long)]
    ca: Option<String>,
    /// TLS: server name sent (SNI) and verified against the certificate.
    #[arg(long, default_value = "localhost")]
    sni: String,
    /// Handshake mode (implies --tls): connect, full handshake, one checked
    /// echo, close; repeat on --conns workers for --warmup-secs + --secs.
    #[arg(long)]
    handshakes: bool,
}

fn main() {
    let args = Args::parse();
    let addr = match resolve_loopback(&args.host, args.port) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("kiwi-loadgen: {e}");
            std::process::exit(2);
        }
    };
    if args.size == 0 || args.conns == 0 || args.per_conn == 0 {
        eprintln!("kiwi-loadgen: --size, --conns and --per-conn must be positive");
        std::process::exit(2);
    }
    let dialer = match Dialer::new(&args, addr) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("kiwi-loadgen: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let json = rt.block_on(async {
        if let Some(n) = args.idle {
            idle(&args, &dialer, n).await
        } else if args.handshakes {
            handshakes(&args, &dialer).await
        } else if args.churn {
            churn(&args, &dialer).await
        } else {
            closed_loop(&args, &dialer).await
        }
    });
    println!("{json}");
}

/// Resolves HOST:PORT and refuses anything that is not a loopback address.
fn resolve_loopback(host: &str, port: u16) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("resolve {host}: {e}"))?
        .collect();
    let addr = addrs
        .into_iter()
        .next()
        .ok_or_else(|| format!("{host}: no address"))?;
    let loopback = match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback(),
    };
    if !loopback {
        return Err(format!(
            "{addr} is not a loopback address; refusing to send traffic there"
        ));
    }
    Ok(addr)
}

async fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = match timeout(OP_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connect timed out",
            ))
        }
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A client connection: plain TCP, or TLS over TCP.
enum Conn {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Tcp(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Opens connections to the server: TCP (TCP_NODELAY, `OP_TIMEOUT`), then with
/// `--tls` a TLS 1.3 handshake (also within `OP_TIMEOUT`).
#[derive(Clone)]
struct Dialer {
    addr: SocketAddr,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    /// `suite kx-group` of the first TLS connection, for the JSON line.
    negotiated: Arc<OnceLock<String>>,
}

impl Dialer {
    fn new(args: &Args, addr: SocketAddr) -> Result<Dialer, String> {
        let tls = if args.tls || args.handshakes {
            let ca = args
                .ca
                .as_deref()
                .ok_or("--tls and --handshakes need --ca CA.pem")?;
            let name = ServerName::try_from(args.sni.clone())
                .map_err(|e| format!("--sni {:?}: {e}", args.sni))?;
            Some((TlsConnector::from(Arc::new(tls_client_config(ca)?)), name))
        } else {
            None
        };
        Ok(Dialer {
            addr,
            tls,
            negotiated: Arc::new(OnceLock::new()),
        })
    }

    async fn connect(&self) -> std::io::Result<Conn> {
        let tcp = connect(self.addr).await?;
        let Some((connector, name)) = &self.tls else {
            return Ok(Conn::Tcp(tcp));
        };
        let tls = match timeout(OP_TIMEOUT, connector.connect(name.clone(), tcp)).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "TLS handshake timed out",
                ))
            }
        };
        if self.negotiated.get().is_none() {
            let c = tls.get_ref().1;
            let suite = c
                .negotiated_cipher_suite()
                .map_or("?".to_string(), |s| format!("{:?}", s.suite()));
            let kx = c
                .negotiated_key_exchange_group()
                .map_or("?".to_string(), |g| format!("{:?}", g.name()));
            let _ = self.negotiated.set(format!("{suite} {kx}"));
        }
        Ok(Conn::Tls(Box::new(tls)))
    }

    /// `,"tls":"SUITE KX"` for the JSON line, or nothing without TLS.
    fn json_field(&self) -> String {
        match (&self.tls, self.negotiated.get()) {
            (None, _) => String::new(),
            (Some(_), n) => format!(",\"tls\":\"{}\"", n.map_or("none", |s| s.as_str())),
        }
    }
}

/// TLS 1.3 only, ring provider, roots from the CA PEM file, no client
/// certificate, and no session resumption (no tickets or ids are kept, so every
/// handshake is a full one).
fn tls_client_config(ca: &str) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{ca}: {e}"))? {
        let cert = cert.map_err(|e| format!("{ca}: {e}"))?;
        roots.add(cert).map_err(|e| format!("{ca}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("{ca}: no certificate"));
    }
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| format!("TLS 1.3: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.resumption = Resumption::disabled();
    Ok(config)
}

/// Fills `buf` with a pattern that differs per connection and per message, so a
/// misrouted or stale echo is caught.
fn fill(buf: &mut [u8], conn: usize, seq: u64) {
    let seed = (conn as u64)
        .wrapping_mul(7919)
        .wrapping_add(seq.wrapping_mul(31));
    for (i, b) in buf.iter_mut().enumerate() {
        *b = seed.wrapping_add(i as u64) as u8;
    }
}

/// One message round trip: write `out`, read exactly `out.len()` bytes back,
/// check they are equal. Errors: I/O error, early EOF, timeout, mismatch.
async fn round_trip<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    out: &[u8],
    back: &mut [u8],
) -> Result<(), String> {
    let op = async {
        stream
            .write_all(out)
            .await
            .map_err(|e| format!("write: {e}"))?;
        // A no-op for TCP; for TLS it makes sure the record went out.
        stream.flush().await.map_err(|e| format!("flush: {e}"))?;
        stream
            .read_exact(back)
            .await
            .map_err(|e| format!("read: {e}"))?;
        Ok::<(), String>(())
    };
    match timeout(OP_TIMEOUT, op).await {
        Err(_) => return Err("round trip timed out".into()),
        Ok(Err(e)) => return Err(e),
        Ok(Ok(())) => {}
    }
    if out != back {
        return Err("echo does not match the message sent".into());
    }
    Ok(())
}

/// Prints the first few errors to stderr; all are counted.
fn report_error(errors: &AtomicU64, what: &str) {
    let n = errors.fetch_add(1, Ordering::Relaxed);
    if n < 5 {
        eprintln!("kiwi-loadgen: error: {what}");
    } else if n == 5 {
        eprintln!("kiwi-loadgen: (further errors counted, not printed)");
    }
}

/// utime + stime of a process, all threads, in seconds (from /proc/PID/stat).
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let tck = if tck > 0 { tck as f64 } else { 100.0 };
    Some((utime + stime) as f64 / tck)
}

/// VmRSS of a process in KiB (from /proc/PID/status).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// (p50, p99, p99.9) in microseconds of latencies given in nanoseconds.
fn percentiles(lat: &mut [u64]) -> (f64, f64, f64) {
    if lat.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    lat.sort_unstable();
    let at = |q: f64| {
        let idx = ((q * lat.len() as f64).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[idx] as f64 / 1000.0
    };
    (at(0.50), at(0.99), at(0.999))
}

fn opt_num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        _ => "null".into(),
    }
}

async fn closed_loop(args: &Args, dialer: &Dialer) -> String {
    let errors = Arc::new(AtomicU64::new(0));
    let addr = dialer.addr;
    // Connect everything first so connection set-up is not part of the warm-up.
    let mut streams = Vec::with_capacity(args.conns);
    for _ in 0..args.conns {
        match dialer.connect().await {
            Ok(s) => streams.push(s),
            Err(e) => report_error(&errors, &format!("connect {addr}: {e}")),
        }
    }
    let t0 = Instant::now();
    let warm_end = t0 + Duration::from_secs_f64(args.warmup_secs);
    let end = warm_end + Duration::from_secs_f64(args.secs);
    let mut tasks = Vec::new();
    for (conn, mut stream) in streams.into_iter().enumerate() {
        let errors = errors.clone();
        let dialer = dialer.clone();
        let size = args.size;
        tasks.push(tokio::spawn(async move {
            let mut out = vec![0u8; size];
            let mut back = vec![0u8; size];
            let mut lat = Vec::with_capacity(1 << 16);
            let mut seq = 0u64;
            loop {
                fill(&mut out, conn, seq);
                seq += 1;
                let start = Instant::now();
                if let Err(e) = round_trip(&mut stream, &out, &mut back).await {
                    report_error(&errors, &format!("connection {conn}: {e}"));
                    if Instant::now() >= end {
                        break;
                    }
                    // Reconnect and carry on; the failure is in the error count.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    match dialer.connect().await {
                        Ok(s) => stream = s,
                        Err(_) => break,
                    }
                    continue;
                }
                let done = Instant::now();
                if done >= end {
                    break;
                }
                if done >= warm_end {
                    lat.push((done - start).as_nanos() as u64);
                }
            }
            lat
        }));
    }
    let cpu = CpuWindow::measure(args, warm_end, end).await;
    let mut lat = Vec::new();
    for t in tasks {
        match t.await {
            Ok(mut l) => lat.append(&mut l),
            Err(e) => report_error(&errors, &format!("task: {e}")),
        }
    }
    let msgs = lat.len() as u64;
    let (p50, p99, p999) = percentiles(&mut lat);
    let cpu_us_per_msg = cpu
        .server
        .filter(|_| msgs > 0)
        .map(|c| c * 1e6 / msgs as f64);
    format!(
        "{{\"mode\":\"closed\",\"conns\":{},\"size\":{},\"msgs\":{},\"secs\":{:.3},\"msgs_per_sec\":{:.1},\
         \"p50_us\":{:.1},\"p99_us\":{:.1},\"p999_us\":{:.1},\"errors\":{},\
         \"server_cpu_secs\":{},\"server_cpu_us_per_msg\":{},{}{}}}",
        args.conns,
        args.size,
        msgs,
        args.secs,
        msgs as f64 / args.secs,
        p50,
        p99,
        p999,
        errors.load(Ordering::Relaxed),
        opt_num(cpu.server, 3),
        opt_num(cpu_us_per_msg, 3),
        cpu.json_tail(),
        dialer.json_field(),
    )
}

/// CPU time of the server (`--server-pid`) and of the load generator itself
/// over the measured window, sampled at the instants that decide what counts.
struct CpuWindow {
    /// Server utime+stime over the window, seconds.
    server: Option<f64>,
    /// The load generator's own CPU time over the window, seconds.
    own: Option<f64>,
    /// Window length, seconds.
    window: f64,
}

impl CpuWindow {
    /// Sleeps until `warm_end`, samples, sleeps until `end`, samples.
    async fn measure(args: &Args, warm_end: Instant, end: Instant) -> CpuWindow {
        let pid = args.server_pid;
        sleep_until(warm_end.into()).await;
        let cpu0 = pid.and_then(cpu_secs);
        let own0 = cpu_secs(std::process::id());
        let w0 = Instant::now();
        eprintln!("kiwi-loadgen: measuring for {} s", args.secs);
        sleep_until(end.into()).await;
        let cpu1 = pid.and_then(cpu_secs);
        let own1 = cpu_secs(std::process::id());
        let window = w0.elapsed().as_secs_f64();
        let diff = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        CpuWindow {
            server: diff(cpu0, cpu1),
            own: diff(own0, own1),
            window,
        }
    }

    /// `"server_cpu_util":..,"loadgen_cpu_util":..,"cpu_window_secs":..`.
    /// The load generator's own CPU use near 100% means it, not the server,
    /// set the pace.
    fn json_tail(&self) -> String {
        format!(
            "\"server_cpu_util\":{},\"loadgen_cpu_util\":{},\"cpu_window_secs\":{:.3}",
            opt_num(self.server.map(|c| c / self.window), 3),
            opt_num(self.own.map(|c| c / self.window), 3),
            self.window,
        )
    }
}

/// One handshake cycle: connect, full TLS handshake, one checked echo of
/// `out`, close_notify, close. Returns the connect+handshake time and the
/// whole cycle's time.
async fn handshake_once(
    dialer: &Dialer,
    out: &[u8],
    back: &mut [u8],
) -> Result<(Duration, Duration), String> {
    let start = Instant::now();
    let mut conn = dialer
        .connect()
        .await
        .map_err(|e| format!("connect/handshake: {e}"))?;
    let handshake = start.elapsed();
    round_trip(&mut conn, out, back).await?;
    // close_notify and FIN; the server sees a clean end of stream.
    let _ = timeout(OP_TIMEOUT, conn.shutdown()).await;
    drop(conn);
    Ok((handshake, start.elapsed()))
}

async fn handshakes(args: &Args, dialer: &Dialer) -> String {
    let errors = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let warm_end = t0 + Duration::from_secs_f64(args.warmup_secs);
    let end = warm_end + Duration::from_secs_f64(args.secs);
    let mut tasks = Vec::new();
    for conn in 0..args.conns {
        let errors = errors.clone();
        let dialer = dialer.clone();
        let size = args.size;
        tasks.push(tokio::spawn(async move {
            let mut out = vec![0u8; size];
            let mut back = vec![0u8; size];
            let (mut hs_lat, mut cycle_lat) = (Vec::new(), Vec::new());
            let mut seq = 0u64;
            while Instant::now() < end {
                fill(&mut out, conn, seq);
                seq += 1;
                match handshake_once(&dialer, &out, &mut back).await {
                    Ok((hs, cycle)) => {
                        let done = Instant::now();
                        if done >= warm_end && done < end {
                            hs_lat.push(hs.as_nanos() as u64);
                            cycle_lat.push(cycle.as_nanos() as u64);
                        }
                    }
                    Err(e) => {
                        report_error(&errors, &format!("worker {conn}: {e}"));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            (hs_lat, cycle_lat)
        }));
    }
    let cpu = CpuWindow::measure(args, warm_end, end).await;
    let (mut hs_lat, mut cycle_lat) = (Vec::new(), Vec::new());
    for t in tasks {
        match t.await {
            Ok((mut h, mut c)) => {
                hs_lat.append(&mut h);
                cycle_lat.append(&mut c);
            }
            Err(e) => report_error(&errors, &format!("task: {e}")),
        }
    }
    let n = hs_lat.len() as u64;
    let (p50, p99, p999) = percentiles(&mut hs_lat);
    let (c50, c99, _) = percentiles(&mut cycle_lat);
    let cpu_us = cpu.server.filter(|_| n > 0).map(|c| c * 1e6 / n as f64);
    let per_core = cpu.server.filter(|c| *c > 0.0).map(|c| n as f64 / c);
    format!(
        "{{\"mode\":\"handshakes\",\"conns\":{},\"size\":{},\"handshakes\":{n},\"secs\":{:.3},\
         \"handshakes_per_sec\":{:.1},\"p50_us\":{p50:.1},\"p99_us\":{p99:.1},\"p999_us\":{p999:.1},\
         \"cycle_p50_us\":{c50:.1},\"cycle_p99_us\":{c99:.1},\"errors\":{},\
         \"server_cpu_secs\":{},\"server_cpu_us_per_handshake\":{},\"server_handshakes_per_cpu_sec\":{},{}{}}}",
        args.conns,
        args.size,
        args.secs,
        n as f64 / args.secs,
        errors.load(Ordering::Relaxed),
        opt_num(cpu.server, 3),
        opt_num(cpu_us, 2),
        opt_num(per_core, 1),
        cpu.json_tail(),
        dialer.json_field(),
    )
}

async fn churn(args: &Args, dialer: &Dialer) -> String {
    let addr = dialer.addr;
    let errors = Arc::new(AtomicU64::new(0));
    let claimed = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let conns_opened = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();

    // RSS sampler: every --sample-ms, one line `secs msgs rss_kib`.
    let mut sample_out = match (&args.sample_file, args.server_pid) {
        (Some(path), Some(_)) => match File::create(path) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("kiwi-loadgen: cannot create {path}: {e}");
                std::process::exit(2);
            }
        },
        _ => None,
    };
    let pid = args.server_pid;
    let sample = move |out: &mut Option<File>, msgs: u64| {
        if let (Some(f), Some(pid)) = (out.as_mut(), pid) {
            if let Some(rss) = rss_kib(pid) {
                let _ = writeln!(f, "{:.3} {} {}", t0.elapsed().as_secs_f64(), msgs, rss);
            }
        }
    };
    sample(&mut sample_out, 0);

    let mut tasks = Vec::new();
    for conn in 0..args.conns {
        let (errors, claimed, done, opened) = (
            errors.clone(),
            claimed.clone(),
            done.clone(),
            conns_opened.clone(),
        );
        let (size, total, per_conn) = (args.size, args.total, args.per_conn);
        let dialer = dialer.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = vec![0u8; size];
            let mut back = vec![0u8; size];
            let mut lat = Vec::new();
            let mut seq = 0u64;
            'batches: loop {
                let first = claimed.fetch_add(per_conn, Ordering::Relaxed);
                if first >= total {
                    break;
                }
                let n = per_conn.min(total - first);
                let mut stream = None;
                for _ in 0..5 {
                    match dialer.connect().await {
                        Ok(s) => {
                            stream = Some(s);
                            break;
                        }
                        Err(e) => {
                            report_error(&errors, &format!("connect {addr}: {e}"));
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
                let Some(mut stream) = stream else {
                    break 'batches;
                };
                opened.fetch_add(1, Ordering::Relaxed);
                for _ in 0..n {
                    fill(&mut out, conn, seq);
                    seq += 1;
                    let start = Instant::now();
                    if let Err(e) = round_trip(&mut stream, &out, &mut back).await {
                        // The rest of this batch is lost; the next batch reconnects.
                        report_error(&errors, &format!("connection {conn}: {e}"));
                        continue 'batches;
                    }
                    lat.push(start.elapsed().as_nanos() as u64);
                    done.fetch_add(1, Ordering::Relaxed);
                }
                // Dropping the stream closes it; the server sees EOF.
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(args.sample_ms.max(1)));
    tick.tick().await;
    for mut t in tasks {
        loop {
            tokio::select! {
                r = &mut t => {
                    match r {
                        Ok(mut l) => lat.append(&mut l),
                        Err(e) => report_error(&errors, &format!("task: {e}")),
                    }
                    break;
                }
                _ = tick.tick() => sample(&mut sample_out, done.load(Ordering::Relaxed)),
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    // Let the server finish closing the last connections, then a final sample.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    sample(&mut sample_out, done.load(Ordering::Relaxed));
    let msgs = lat.len() as u64;
    let (p50, p99, p999) = percentiles(&mut lat);
    format!(
        "{{\"mode\":\"churn\",\"conns\":{},\"size\":{},\"per_conn\":{},\"connections_opened\":{},\
         \"msgs\":{},\"secs\":{:.3},\"msgs_per_sec\":{:.1},\
         \"p50_us\":{:.1},\"p99_us\":{:.1},\"p999_us\":{:.1},\"errors\":{}{}}}",
        args.conns,
        args.size,
        args.per_conn,
        conns_opened.load(Ordering::Relaxed),
        msgs,
        secs,
        msgs as f64 / secs,
        p50,
        p99,
        p999,
        errors.load(Ordering::Relaxed),
        dialer.json_field(),
    )
}

async fn idle(args: &Args, dialer: &Dialer, n: usize) -> String {
    let addr = dialer.addr;
    let errors = Arc::new(AtomicU64::new(0));
    let pid = args.server_pid;
    let rss_before = pid.and_then(rss_kib);
    let t0 = Instant::now();
    let mut streams: Vec<Conn> = Vec::with_capacity(n);
    let batch = args.connect_batch.max(1);
    while streams.len() < n {
        let want = batch.min(n - streams.len());
        let mut pending = Vec::with_capacity(want);
        for _ in 0..want {
            let dialer = dialer.clone();
            pending.push(tokio::spawn(async move {
                let mut last = None;
                for _ in 0..3 {
                    match dialer.connect().await {
                        Ok(s) => return Ok(s),
                        Err(e) => last = Some(e),
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(last.unwrap())
            }));
        }
        let mut failed = 0;
        for p in pending {
            match p.await {
                Ok(Ok(s)) => streams.push(s),
                Ok(Err(e)) => {
                    failed += 1;
                    report_error(&errors, &format!("connect {addr}: {e}"));
                }
                Err(e) => {
                    failed += 1;
                    report_error(&errors, &format!("task: {e}"));
                }
            }
        }
        if failed == want {
            eprintln!(
                "kiwi-loadgen: a whole batch of connects failed; stopping at {}",
                streams.len()
            );
            break;
        }
    }
    let connect_secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "kiwi-loadgen: {} connections open after {connect_secs:.2} s",
        streams.len()
    );
    tokio::time::sleep(Duration::from_secs_f64(args.settle_secs)).await;
    let rss_idle = pid.and_then(rss_kib);

    // The server must still echo on connections spread over the whole set.
    let mut verified = 0usize;
    let k = args.verify.min(streams.len());
    let mut out = vec![0u8; args.size];
    let mut back = vec![0u8; args.size];
    for j in 0..k {
        let i = if k == 1 {
            0
        } else {
            j * (streams.len() - 1) / (k - 1)
        };
        fill(&mut out, i, 0);
        match round_trip(&mut streams[i], &out, &mut back).await {
            Ok(()) => verified += 1,
            Err(e) => report_error(&errors, &format!("connection {i}: {e}")),
        }
    }
    let rss_after_verify = pid.and_then(rss_kib);
    if args.hold_secs > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(args.hold_secs)).await;
    }
    let per_conn = match (rss_before, rss_idle) {
        (Some(a), Some(b)) if !streams.is_empty() => {
            Some((b as f64 - a as f64) / streams.len() as f64)
        }
        _ => None,
    };
    let num = |v: Option<u64>| v.map_or("null".to_string(), |x| x.to_string());
    format!(
        "{{\"mode\":\"idle\",\"wanted\":{n},\"connected\":{},\"connect_secs\":{connect_secs:.3},\
         \"verified\":{verified},\"verify_wanted\":{k},\"errors\":{},\
         \"rss_before_kib\":{},\"rss_idle_kib\":{},\"rss_after_verify_kib\":{},\"rss_per_conn_kib\":{}{}}}",
        streams.len(),
        errors.load(Ordering::Relaxed),
        num(rss_before),
        num(rss_idle),
        num(rss_after_verify),
        opt_num(per_conn, 3),
        dialer.json_field(),
    )
}
