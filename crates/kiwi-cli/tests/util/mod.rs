//! Shared helpers for the networking tests (`net_*.rs`): child processes that are killed when
//! a test fails, reads with deadlines, free loopback ports and a few socket options.
//!
//! Every wait here has a deadline, so a runtime bug makes a test fail instead of hang.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A generous bound for one step (a process start, a reply) on a loaded CI machine.
pub const STEP: Duration = Duration::from_secs(30);

/// `kiwi` built by cargo for this test run.
pub fn kiwi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kiwi"))
}

/// A file of the repository's `examples/` directory.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

// Each test binary uses a different few of these.
#[allow(unused_imports)]
pub use kiwi_testkit::{
    assert_alert_or_nothing, have, ipv6_loopback_or_skip, read_until_closed, require_tool, skip,
    tool_or_skip,
};

/// A temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("kiwi-net-test-{}-{tag}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// Writes `text` to `name` in this directory and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running child process whose stdout is read line by line and whose stderr is collected.
/// Dropping it kills the process (so a failing test leaves nothing behind).
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_done: Option<thread::JoinHandle<()>>,
}

impl Proc {
    /// Starts `cmd` with piped stdin, stdout and stderr.
    pub fn spawn(name: &str, cmd: &mut Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdin = child.stdin.take();
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let stderr_done = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Proc {
            name: name.to_string(),
            child,
            stdin,
            lines,
            stderr,
            stderr_done: Some(stderr_done),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// The next stdout line; panics (with the stderr so far) after `timeout` or at EOF.
    pub fn line(&mut self, timeout: Duration) -> String {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!(
                "{}: no stdout line within {timeout:?}; stderr: {}",
                self.name,
                self.stderr()
            ),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.wait(Duration::from_secs(5));
                panic!(
                    "{}: stdout ended ({status}); stderr: {}",
                    self.name,
                    self.stderr()
                )
            }
        }
    }

    /// Writes to the child's stdin (and flushes).
    pub fn write_stdin(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(bytes).expect("write to child stdin");
        stdin.flush().expect("flush child stdin");
    }

    /// Closes the child's stdin (end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// `Some(status)` once the process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// Waits for the process to exit; kills it and panics after `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{}: still running after {timeout:?}; stderr: {}",
                    self.name,
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for exit (bounded by `timeout`) and returns the exit status, the remaining stdout
    /// lines and the whole stderr.
    pub fn finish(mut self, timeout: Duration) -> (ExitStatus, String, String) {
        self.stdin = None;
        let status = self.wait(timeout);
        let mut out = String::new();
        // The reader thread ends at EOF, which follows the exit (unless a grandchild holds the
        // pipe: bounded by the timeout).
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    out.push_str(&line);
                    out.push('\n');
                }
                Err(_) => break,
            }
        }
        if let Some(h) = self.stderr_done.take() {
            let _ = h.join();
        }
        (status, out, self.stderr())
    }

    /// Kills the process now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// CPU time (user + system) the process has used so far, from `/proc/PID/stat`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("stat");
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = &stat[stat.rfind(')').expect("comm") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
    }

    /// A line of `/proc/PID/status` such as `VmHWM`, in kB.
    pub fn status_kb(&self, key: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    }

    /// Number of open descriptors of the process.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd` to completion with `stdin` as its input; kills it and panics after `timeout`.
pub fn run(name: &str, cmd: &mut Command, stdin: &[u8], timeout: Duration) -> Output {
    let mut p = Proc::spawn(name, cmd);
    let mut input = p.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let (status, out, err) = p.finish(timeout);
    let _ = writer.join();
    Output {
        status,
        stdout: out.into_bytes(),
        stderr: err.into_bytes(),
    }
}

/// Runs `cmd` (empty stdin) and returns its stdout, failing the test if it does not exit 0:
/// the message has its status, stderr, stdout and `context()` (e.g. a server's stderr).
pub fn run_ok(
    label: &str,
    cmd: &mut Command,
    timeout: Duration,
    context: impl FnOnce() -> String,
) -> String {
    let o = run(label, cmd, b"", timeout);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{label} failed ({}): {}\nstdout: {out}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr),
        context()
    );
    out
}

/// Like [`run`] but for binary stdout: returns (status, stdout bytes, stderr).
pub fn run_bytes(
    name: &str,
    cmd: &mut Command,
    stdin: Vec<u8>,
    timeout: Duration,
) -> (ExitStatus, Vec<u8>, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let writer = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let guard = KillOnDrop(child);
    let status = guard.wait(name, timeout);
    let _ = writer.join();
    let out = reader.join().unwrap();
    let err = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    (status, out, err)
}

struct KillOnDrop(Child);

impl KillOnDrop {
    fn wait(mut self, name: &str, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.0.try_wait().expect("try_wait") {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "{name}: still running after {timeout:?}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `examples/echo_server.kiwi` on a free port and returns it with that port.
pub fn echo_server() -> (Proc, u16) {
    echo_server_with(&mut kiwi())
}

/// Starts `examples/echo_server.kiwi` through `cmd` (a `kiwi` command or a wrapper whose
/// trailing arguments are the kiwi command line).
pub fn echo_server_with(cmd: &mut Command) -> (Proc, u16) {
    let mut p = Proc::spawn(
        "echo_server.kiwi",
        cmd.arg(example("echo_server.kiwi")).arg("0"),
    );
    let port = listening_port(&mut p, "echo server listening on 127.0.0.1:");
    (p, port)
}

/// The port a server prints on its first line after `prefix` (it was started on port 0).
fn listening_port(p: &mut Proc, prefix: &str) -> u16 {
    let line = p.line(STEP);
    let port = line
        .strip_prefix(prefix)
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    assert_ne!(port, 0);
    port
}

/// Connects to 127.0.0.1:`port` with read and write timeouts of `timeout`.
pub fn connect(port: u16, timeout: Duration) -> TcpStream {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let s = TcpStream::connect_timeout(&addr, timeout)
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    s.set_read_timeout(Some(timeout)).unwrap();
    s.set_write_timeout(Some(timeout)).unwrap();
    s
}

/// Sends `msg` and reads back exactly as many bytes, which must equal `msg`.
/// Writing and reading overlap (a thread writes), so large messages cannot deadlock on full
/// socket buffers.
pub fn echo_roundtrip(s: &TcpStream, msg: &[u8]) -> Result<(), String> {
    let mut w = s.try_clone().map_err(|e| e.to_string())?;
    let data = msg.to_vec();
    let writer = thread::spawn(move || w.write_all(&data));
    let mut got = vec![0u8; msg.len()];
    let mut r = s;
    let read = r.read_exact(&mut got);
    let wrote = writer.join().expect("writer thread");
    wrote.map_err(|e| format!("send: {e}"))?;
    read.map_err(|e| format!("recv of {} bytes: {e}", msg.len()))?;
    if got != msg {
        let at = got.iter().zip(msg).position(|(a, b)| a != b).unwrap_or(0);
        return Err(format!("echo of {} bytes differs at byte {at}", msg.len()));
    }
    Ok(())
}

/// Deterministic, non-repeating-looking test data (xorshift).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Makes closing `s` send a TCP reset (SO_LINGER with a zero timeout).
pub fn set_linger_zero(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    // Linux values; declared here rather than pulling in the libc crate for one call.
    const SOL_SOCKET: i32 = 1;
    const SO_LINGER: i32 = 13;
    #[repr(C)]
    struct Linger {
        l_onoff: i32,
        l_linger: i32,
    }
    extern "C" {
        fn setsockopt(fd: i32, level: i32, name: i32, value: *const Linger, len: u32) -> i32;
    }
    let linger = Linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid descriptor and a pointer to a live `struct linger` of the given size.
    let rc = unsafe {
        setsockopt(
            s.as_raw_fd(),
            SOL_SOCKET,
            SO_LINGER,
            &linger,
            std::mem::size_of::<Linger>() as u32,
        )
    };
    assert_eq!(
        rc,
        0,
        "setsockopt(SO_LINGER): {}",
        std::io::Error::last_os_error()
    );
}

fn clock_ticks_per_second() -> f64 {
    const SC_CLK_TCK: i32 = 2; // Linux
    extern "C" {
        fn sysconf(name: i32) -> std::os::raw::c_long;
    }
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { sysconf(SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// Polls `f` every 10 ms until it returns true; false after `timeout`.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// `python3` for a `-c` program, or a panic naming the missing interpreter.
pub fn python(code: &str) -> Command {
    require_tool("python3", "the networking tests");
    let mut c = Command::new("python3");
    c.arg("-u").arg("-c").arg(code);
    c
}

/// Runs `openssl args...` in `dir` (60 s bound) and panics with its stderr if it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    require_tool("openssl", "the TLS tests");
    let o = run(
        "openssl",
        Command::new("openssl").args(args).current_dir(dir),
        b"",
        Duration::from_secs(60),
    );
    assert!(
        o.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Test certificates made with the `openssl` CLI in a temporary directory: a CA (`ca.pem`,
/// `ca.key`) and leaf certificates it signs. All keys are ECDSA P-256 unless said otherwise.
pub struct Pki {
    pub dir: TempDir,
}

/// The `openssl ca` configuration: no prompts, any subject, extensions from `-extfile`.
const CA_CONFIG: &str = "\
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = index.txt
new_certs_dir = issued
serial = serial
default_md = sha256
policy = any_subject
unique_subject = no
copy_extensions = none
[ any_subject ]
commonName = supplied
";

impl Pki {
    /// A fresh directory with the CA `ca` (and a second, untrusted CA `other-ca`).
    pub fn new(tag: &str) -> Pki {
        let pki = Pki {
            dir: TempDir::new(tag),
        };
        pki.dir.file("ca.cnf", CA_CONFIG);
        pki.dir.file("index.txt", "");
        pki.dir.file("serial", "1000\n");
        std::fs::create_dir_all(pki.dir.0.join("issued")).unwrap();
        pki.make_ca("ca", "kiwi test CA");
        pki.make_ca("other-ca", "some other CA");
        pki
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }

    /// `path(name)` as a string (for command lines).
    pub fn p(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    fn make_ca(&self, name: &str, cn: &str) {
        self.self_signed_with(
            name,
            cn,
            &[
                "basicConstraints=critical,CA:TRUE",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
    }

    /// A self-signed P-256 certificate `name.pem` (+ `name.key`) for CN `cn` with the given
    /// X.509 extensions, valid 30 days.
    fn self_signed_with(&self, name: &str, cn: &str, extensions: &[&str]) {
        let (key, pem, subj) = (
            format!("{name}.key"),
            format!("{name}.pem"),
            format!("/CN={cn}"),
        );
        let mut args = vec![
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "30",
            "-subj",
            &subj,
        ];
        for ext in extensions {
            args.extend(["-addext", ext]);
        }
        openssl(&self.dir.0, &args);
    }

    /// A new key `name.key` (PKCS#8) and request `name.csr` for CN `cn`.
    fn key_and_request(&self, name: &str, cn: &str, rsa: bool) {
        let mut args = vec!["req", "-newkey"];
        if rsa {
            args.extend(["rsa:2048"]);
        } else {
            args.extend(["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        }
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let subj = format!("/CN={cn}");
        args.extend(["-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(&self.dir.0, &args);
    }

    /// A server certificate `name.pem` (+ `name.key`) for `sans` (an openssl subjectAltName
    /// value such as `DNS:localhost,IP:127.0.0.1`), issued by `ca` for the validity period
    /// `dates`: `None` for now .. 30 days, or `Some((start, end))` as `YYYYMMDDHHMMSSZ`.
    pub fn leaf(&self, name: &str, sans: &str, ca: &str, dates: Option<(&str, &str)>, rsa: bool) {
        self.key_and_request(name, name, rsa);
        let ext = format!("{name}.ext");
        self.dir.file(
            &ext,
            &format!(
                "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
                 extendedKeyUsage=serverAuth\nsubjectAltName={sans}\n"
            ),
        );
        let (csr, out, ca_pem, ca_key) = (
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{ca}.pem"),
            format!("{ca}.key"),
        );
        let mut args = vec![
            "ca", "-batch", "-notext", "-config", "ca.cnf", "-in", &csr, "-out", &out, "-cert",
            &ca_pem, "-keyfile", &ca_key, "-extfile", &ext,
        ];
        match dates {
            None => args.extend(["-days", "30"]),
            Some((start, end)) => args.extend(["-startdate", start, "-enddate", end]),
        }
        openssl(&self.dir.0, &args);
    }

    /// A self-signed server certificate `name.pem` (+ `name.key`) for `sans`.
    pub fn self_signed(&self, name: &str, sans: &str) {
        let san = format!("subjectAltName={sans}");
        self.self_signed_with(
            name,
            name,
            &[
                &san,
                "basicConstraints=critical,CA:FALSE",
                "extendedKeyUsage=serverAuth",
            ],
        );
    }
}

/// Starts `examples/tls_echo_server.kiwi` on a free port with `cert` and `key` (PEM paths)
/// and returns it with that port.
pub fn tls_echo_server(cert: &Path, key: &Path) -> (Proc, u16) {
    let mut p = Proc::spawn(
        "tls_echo_server.kiwi",
        kiwi()
            .arg(example("tls_echo_server.kiwi"))
            .arg("0")
            .arg(cert)
            .arg(key),
    );
    let port = listening_port(&mut p, "tls echo server listening on 127.0.0.1:");
    (p, port)
}
