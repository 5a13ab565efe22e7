//! Kiwi sockets against independent peers: `examples/echo_server.kiwi` driven by Python's
//! `socket` module and by `socat`, and Kiwi client scripts against Python servers. All traffic
//! is on 127.0.0.1 with ports picked by the kernel.

mod util;

use std::time::Duration;

use util::{
    echo_server, ipv6_loopback_or_skip, kiwi, pattern, python, run, run_bytes, run_ok,
    tool_or_skip, Proc, TempDir, STEP,
};

/// Python client: several messages (one of 1 MiB, written while the echo is read), pipelined
/// messages, then a half-close: the echo of the last message still arrives, then EOF.
const PY_ECHO_CLIENT: &str = r#"
import os, socket, sys, threading
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=30)

def read_exact(n):
    got = bytearray()
    while len(got) < n:
        part = s.recv(min(1 << 16, n - len(got)))
        if not part:
            sys.exit("EOF after %d of %d bytes" % (len(got), n))
        got += part
    return bytes(got)

def roundtrip(msg):
    t = threading.Thread(target=s.sendall, args=(msg,))
    t.start()
    got = read_exact(len(msg))
    t.join()
    if got != msg:
        sys.exit("echo of %d bytes differs" % len(msg))
    print("echo", len(msg))

for msg in [b"hello", b"\x00\r\n\xff", bytes(range(256)) * 16, os.urandom(1 << 20), b"x" * 70000]:
    roundtrip(msg)

# Pipelined: three messages written back to back, echoed as one stream.
batch = [b"one ", b"two ", os.urandom(5000)]
for m in batch:
    s.sendall(m)
if read_exact(sum(map(len, batch))) != b"".join(batch):
    sys.exit("pipelined echo differs")
print("pipelined ok")

# Half-close: the server still echoes what was sent before our FIN, then closes its side.
s.sendall(b"last words")
s.shutdown(socket.SHUT_WR)
rest = bytearray()
while True:
    part = s.recv(4096)
    if not part:
        break
    rest += part
if bytes(rest) != b"last words":
    sys.exit("after half-close got %r" % bytes(rest))
print("eof ok")
s.close()
"#;

#[test]
fn python_client_against_kiwi_echo_server() {
    let (mut server, port) = echo_server();
    let out = run_ok(
        "python echo client",
        python(PY_ECHO_CLIENT).arg(port.to_string()),
        Duration::from_secs(60),
        || server.stderr(),
    );
    assert_eq!(
        out,
        "echo 5\necho 4\necho 4096\necho 1048576\necho 70000\npipelined ok\neof ok\n"
    );
    assert!(server.exited().is_none(), "the server must keep running");
    assert_eq!(server.stderr(), "", "no client errors expected");
}

#[test]
fn socat_against_kiwi_echo_server() {
    if !tool_or_skip("socat", "socat_against_kiwi_echo_server") {
        return;
    }
    let (mut server, port) = echo_server();
    // socat sends stdin, half-closes at its end, and exits when the server closes (-t bounds
    // how long it waits for the server after its own EOF).
    for (i, len) in [0usize, 1, 6, 300_000].into_iter().enumerate() {
        let data = pattern(len, i as u64 + 1);
        let (status, out, err) = run_bytes(
            "socat",
            std::process::Command::new("socat").args([
                "-t",
                "20",
                "-",
                &format!("TCP:127.0.0.1:{port}"),
            ]),
            data.clone(),
            Duration::from_secs(60),
        );
        assert!(status.success(), "socat failed: {err}");
        assert_eq!(out.len(), data.len(), "echoed length for {len} bytes");
        assert!(out == data, "echo of {len} bytes differs");
    }
    assert!(server.exited().is_none(), "the server must keep running");
    assert_eq!(server.stderr(), "");
}

/// A Python echo server on a free port: prints the port, then echoes every connection (one
/// thread each) until the client half-closes, then closes.
const PY_ECHO_SERVER: &str = r#"
import socketserver
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)
socketserver.ThreadingTCPServer.allow_reuse_address = True
with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as srv:
    print(srv.server_address[1], flush=True)
    srv.serve_forever()
"#;

/// Kiwi client: connects, sends each message, reads until the whole echo is back, compares;
/// then checks its addresses, half-closes and reads end of stream (empty bytes).
const KIWI_ECHO_CLIENT: &str = r#"
port = env::args()[0].to_integer()
c = socket::tcpconnect("127.0.0.1", port)
println "peer port matches: ${socket::peer_addr(c)["port"] == port}"
println "local host: ${socket::local_addr(c)["host"]}"
big = ("0123456789abcdef" * 16384).to_bytes()
for msg in ["hello".to_bytes(), "kiwi \u00e9\u00e8".to_bytes(), big] do
  task::await(socket::send(c, msg))
  got = [].to_bytes()
  while got.size() < msg.size() do
    part = task::await(socket::recv(c, 65536))
    if part.size() == 0
      println "early EOF"
      exit 3
    end
    got = got.concat(part)
  end
  println "echo ${msg.size()} ${got == msg}"
end
sent = task::await(socket::send(c, "tail".to_bytes()))
println "send returned ${sent}"
socket::shutdown(c)
got = [].to_bytes()
while true do
  part = task::await(socket::recv(c))
  break when part.size() == 0
  got = got.concat(part)
end
println "after shutdown: ${got.to_string()} then EOF"
socket::close(c)
"#;

fn start_python_server(name: &str, code: &str) -> (Proc, u16) {
    let mut p = Proc::spawn(name, &mut python(code));
    let line = p.line(STEP);
    let port = line
        .trim()
        .parse::<u16>()
        .unwrap_or_else(|_| panic!("{name}: expected a port, got {line:?}"));
    (p, port)
}

#[test]
fn kiwi_client_against_python_echo_server() {
    let (_server, port) = start_python_server("python echo server", PY_ECHO_SERVER);
    let dir = TempDir::new("peers");
    let script = dir.file("client.kiwi", KIWI_ECHO_CLIENT);
    let out = run_ok(
        "kiwi client",
        kiwi().arg(&script).arg(port.to_string()),
        Duration::from_secs(60),
        String::new,
    );
    assert_eq!(
        out,
        "peer port matches: true\nlocal host: 127.0.0.1\necho 5 true\necho 9 true\n\
         echo 262144 true\nsend returned 4\nafter shutdown: tail then EOF\n"
    );
}

/// A Python server that sends 4 MiB of random data to its first client and closes. Prints
/// its port, then the size and Adler-32 of the data.
const PY_BULK_SERVER: &str = r#"
import os, socket, zlib
data = os.urandom(4 << 20)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1])
print(len(data), zlib.adler32(data), flush=True)
srv.settimeout(60)
conn, _ = srv.accept()
conn.sendall(data)
conn.close()
"#;

/// Kiwi client: reads to end of stream and prints the total size and Adler-32.
const KIWI_BULK_CLIENT: &str = r#"
port = env::args()[0].to_integer()
c = socket::tcpconnect("127.0.0.1", port)
total = 0
a = 1
b = 0
while true do
  part = task::await(socket::recv(c, 65536))
  break when part.size() == 0
  total += part.size()
  for x in part do
    a = (a + x) % 65521
    b = (b + a) % 65521
  end
end
socket::close(c)
println "${total} ${b * 65536 + a}"
"#;

#[test]
fn kiwi_client_reads_a_4_mib_stream_to_eof() {
    let (mut server, port) = start_python_server("python bulk server", PY_BULK_SERVER);
    let expected = server.line(STEP);
    let dir = TempDir::new("bulk");
    let script = dir.file("bulk.kiwi", KIWI_BULK_CLIENT);
    let out = run_ok(
        "kiwi bulk client",
        kiwi().arg(&script).arg(port.to_string()),
        Duration::from_secs(120),
        String::new,
    );
    assert_eq!(out.trim(), expected);
    assert!(expected.starts_with("4194304 "), "{expected}");
}

/// A Kiwi echo server on `::1` (port 0; prints host and port), serving each client in a task.
const KIWI_V6_SERVER: &str = r#"
srv = socket::tcpserver("::1", 0)
addr = socket::local_addr(srv)
println "${addr["host"]} ${addr["port"]}"
fn serve(c)
  peer = socket::peer_addr(c)["host"]
  while true do
    data = task::await(socket::recv(c))
    break when data.size() == 0
    task::await(socket::send(c, data))
  end
  socket::close(c)
  eprintln "served ${peer}"
end
while true do
  task::spawn(serve, [task::await(socket::accept(srv))])
end
"#;

const PY_V6_CLIENT: &str = r#"
import socket, sys
s = socket.create_connection(("::1", int(sys.argv[1])), timeout=30)
msg = bytes(range(256)) * 1000
s.sendall(msg)
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    part = s.recv(65536)
    if not part:
        break
    got += part
print("v6 echo", len(got), bytes(got) == msg)
"#;

const PY_V6_SERVER: &str = r#"
import socket
srv = socket.create_server(("::1", 0), family=socket.AF_INET6)
print(srv.getsockname()[1], flush=True)
srv.settimeout(30)
conn, addr = srv.accept()
data = conn.recv(100)
conn.sendall(b"v6:" + data + b" from " + addr[0].encode())
conn.close()
"#;

const KIWI_V6_CLIENT: &str = r#"
c = socket::tcpconnect("::1", env::args()[0].to_integer())
task::await(socket::send(c, "hi".to_bytes()))
reply = [].to_bytes()
while true do
  part = task::await(socket::recv(c))
  break when part.size() == 0
  reply = reply.concat(part)
end
println reply.to_string()
println socket::local_addr(c)["host"]
"#;

#[test]
fn ipv6_loopback_both_directions() {
    if !ipv6_loopback_or_skip("ipv6_loopback_both_directions") {
        return;
    }
    let dir = TempDir::new("v6");
    // Python client -> Kiwi server.
    let script = dir.file("v6_server.kiwi", KIWI_V6_SERVER);
    let mut server = Proc::spawn("kiwi v6 server", kiwi().arg(&script));
    let first = server.line(STEP);
    let port = first
        .strip_prefix("::1 ")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    let out = run_ok(
        "python v6 client",
        python(PY_V6_CLIENT).arg(port.to_string()),
        Duration::from_secs(60),
        || server.stderr(),
    );
    assert_eq!(out, "v6 echo 256000 True\n");
    assert!(
        util::eventually(STEP, || server.stderr() == "served ::1\n"),
        "{}",
        server.stderr()
    );

    // Kiwi client -> Python server.
    let (_py, port) = start_python_server("python v6 server", PY_V6_SERVER);
    let client = dir.file("v6_client.kiwi", KIWI_V6_CLIENT);
    let o = run(
        "kiwi v6 client",
        kiwi().arg(&client).arg(port.to_string()),
        b"",
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "v6:hi from ::1\n::1\n");
}

/// The main script ends while a spawned task still serves a peer: the process stays alive
/// until that task is done, then exits 0. A pending accept nobody awaits keeps nothing alive.
const KIWI_LIFETIME: &str = r#"
srv = socket::tcpserver("127.0.0.1", 0)
println socket::local_addr(srv)["port"]
forgotten = socket::accept(srv)
task::spawn(with do
  c = task::await(socket::accept(srv))
  d = task::await(socket::recv(c))
  task::await(socket::send(c, d))
  socket::close(c)
  eprintln "handler done"
end)
println "main done"
"#;

#[test]
fn process_lifetime_follows_spawned_socket_tasks() {
    let dir = TempDir::new("lifetime");
    let script = dir.file("lifetime.kiwi", KIWI_LIFETIME);
    let mut p = Proc::spawn("kiwi lifetime", kiwi().arg(&script));
    let port: u16 = p.line(STEP).parse().expect("port");
    assert_eq!(p.line(STEP), "main done");
    std::thread::sleep(Duration::from_millis(200));
    assert!(p.exited().is_none(), "exited while a task awaits a peer");

    // Both pending accepts take a connection: the first (forgotten) one and the task's one
    // are served in order, so connect twice; only the task answers.
    let first = util::connect(port, STEP);
    let second = util::connect(port, STEP);
    let talk = |s: &std::net::TcpStream| -> Result<(), String> { util::echo_roundtrip(s, b"yo") };
    let served = [&first, &second]
        .iter()
        .map(|s| {
            s.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            talk(s).is_ok()
        })
        .filter(|ok| *ok)
        .count();
    assert_eq!(served, 1, "exactly the spawned task's client is served");
    let (status, rest, err) = p.finish(STEP);
    assert!(status.success(), "{err}");
    assert_eq!(rest, "");
    assert_eq!(err, "handler done\n");
}

/// A Python server that sends 3,000 lines of random length (the last one without its
/// newline) in random-sized chunks, reads back what its first client returns until end of
/// stream, and prints the line count and whether the echo equals what it sent.
const PY_LINES_SERVER: &str = r#"
import random, socket, threading, time
rng = random.Random(7)
lines = [bytes(rng.choice(b"abcdefghij \r\t") for _ in range(rng.randrange(0, 300))) + b"\n"
         for _ in range(3000)]
lines[-1] = b"no newline at the end"
data = b"".join(lines)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
srv.settimeout(60)
conn, _ = srv.accept()
conn.settimeout(60)
def send():
    i = 0
    while i < len(data):
        n = rng.choice([1, 2, 7, 100, 1500, 5000, 70000])
        conn.sendall(data[i:i + n])
        i += n
        if rng.random() < 0.01:
            time.sleep(0.002)
    conn.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = bytearray()
while True:
    part = conn.recv(65536)
    if not part:
        break
    got += part
t.join()
print(len(lines), bytes(got) == data, flush=True)
"#;

/// Kiwi client: reads lines with `recv_until` and sends each one back as it came.
const KIWI_LINES_CLIENT: &str = r#"
c = socket::tcpconnect("127.0.0.1", env::args()[0].to_integer())
n = 0
while true do
  line = task::await(socket::recv_until(c, "\n", 1000))
  break when line.size() == 0
  n += 1
  task::await(socket::send(c, line))
end
socket::shutdown(c)
task::await(socket::recv(c))
println n
"#;

#[test]
fn kiwi_reads_lines_from_a_python_server_with_recv_until() {
    let (mut server, port) = start_python_server("python lines server", PY_LINES_SERVER);
    let dir = TempDir::new("lines");
    let script = dir.file("lines.kiwi", KIWI_LINES_CLIENT);
    let out = run_ok(
        "kiwi lines client",
        kiwi().arg(&script).arg(port.to_string()),
        Duration::from_secs(60),
        String::new,
    );
    assert_eq!(out, "3000\n");
    assert_eq!(server.line(STEP).trim(), "3000 True");
}
