//! Sockets live across REPL entries: a server created in one entry accepts, sends and receives
//! in later ones, and a pending operation started in one entry is awaited in another.

mod util;

use std::io::{Read, Write};
use std::time::Duration;

use util::{connect, kiwi, run, Proc, STEP};

/// The whole session piped at once: server, client and pending accept in separate entries.
#[test]
fn sockets_persist_across_piped_repl_entries() {
    let session = "\
srv = socket::tcpserver(\"127.0.0.1\", 0)
port = socket::local_addr(srv)[\"port\"]
println \"listening: ${port > 0}\"
pending = socket::accept(srv)
c = socket::tcpconnect(\"127.0.0.1\", port)
a = task::await(pending)
task::await(socket::send(c, \"ping\".to_bytes()))
println \"server got \" + task::await(socket::recv(a)).to_string()
fn reply(sock, text)
  return task::await(socket::send(sock, text.to_bytes()))
end
reply(a, \"pong\")
println \"client got \" + task::await(socket::recv(c)).to_string()
socket::peer_addr(a)[\"port\"] == socket::local_addr(c)[\"port\"]
socket::close(c)
task::await(socket::recv(a)).size()
socket::close(a)
socket::close(srv)
task::await(socket::accept(srv))
\"still here\"
";
    let o = run(
        "kiwi repl",
        &mut kiwi(),
        session.as_bytes(),
        Duration::from_secs(30),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "repl failed: {err}\nstdout: {out}");
    let body: Vec<&str> = out.lines().skip(1).collect(); // after the banner
    assert_eq!(
        body,
        [
            "listening: true",
            "4",
            "server got ping",
            "4",
            "client got pong",
            "true",
            "0",
            "\"still here\"",
        ],
        "stdout: {out}\nstderr: {err}"
    );
    // Accepting on the closed server is an error of that entry only.
    assert!(
        err.starts_with("[SystemError]: ") && err.contains("invalid socket id"),
        "{err}"
    );
}

/// Entries are written one at a time while the test itself is the peer: the server socket
/// made in the first entry is listening while the REPL waits for input, and later entries
/// accept, send and receive on it.
#[test]
fn repl_server_talks_to_the_test_between_entries() {
    let mut repl = Proc::spawn("kiwi repl", &mut kiwi());
    let banner = repl.line(STEP);
    assert!(banner.starts_with("kiwi "), "{banner}");

    repl.write_stdin(b"srv = socket::tcpserver(\"127.0.0.1\", 0)\n");
    repl.write_stdin(b"println socket::local_addr(srv)[\"port\"]\n");
    let port: u16 = repl.line(STEP).trim().parse().expect("a port");

    // The REPL is idle, waiting for its next line; the kernel completes our connection.
    let peer = connect(port, STEP);
    (&peer).write_all(b"hello from the test").unwrap();

    repl.write_stdin(b"a = task::await(socket::accept(srv))\n");
    repl.write_stdin(b"println task::await(socket::recv(a)).to_string()\n");
    assert_eq!(repl.line(STEP), "hello from the test");

    repl.write_stdin(b"task::await(socket::send(a, \"hello from kiwi\".to_bytes()))\n");
    assert_eq!(repl.line(STEP), "15");
    let mut buf = [0u8; 15];
    (&peer).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello from kiwi");

    // A recv started in one entry is pending while the test sends, and awaited later.
    repl.write_stdin(b"r = socket::recv(a)\ntask::status(r)\n");
    assert_eq!(repl.line(STEP), "\"Running\"");
    (&peer).write_all(b"late").unwrap();
    repl.write_stdin(b"task::await(r).to_string()\n");
    assert_eq!(repl.line(STEP), "\"late\"");

    // End of stream from the test, seen by the next entry.
    peer.shutdown(std::net::Shutdown::Write).unwrap();
    repl.write_stdin(b"task::await(socket::recv(a)).size()\n");
    assert_eq!(repl.line(STEP), "0");
    repl.write_stdin(b"socket::close(a)\nsocket::close(srv)\n");

    let (status, rest, err) = repl.finish(STEP);
    assert!(status.success(), "{err}");
    assert_eq!(rest, "", "{err}");
    assert_eq!(err, "");
    // The REPL closed the connection: the test reads end of stream.
    let mut tail = Vec::new();
    (&peer).read_to_end(&mut tail).unwrap();
    assert!(tail.is_empty());
}
