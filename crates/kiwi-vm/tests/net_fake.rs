//! The `socket` package on the scheduler, with an in-memory network: no sockets, virtual time,
//! every interleaving deterministic.

mod common;

use std::time::Duration;

use common::fake_net::FakeNet;
use common::{run_full, Run};

fn run_net(src: &str) -> Run {
    run_net_fuel(src, 1000)
}

fn run_net_fuel(src: &str, fuel: u32) -> Run {
    run_full(
        src,
        fuel,
        Duration::from_millis(1),
        Some(Box::new(|ids| Box::new(FakeNet::new(ids)))),
    )
}

/// A server task that echoes one connection, on a port the script reads back.
const ECHO: &str = r#"
    srv = socket::tcpserver("127.0.0.1", 0)
    port = socket::local_addr(srv)["port"]
    server_task = task::spawn(with do
      c = task::await(socket::accept(srv))
      while true do
        data = task::await(socket::recv(c))
        break when data.size() == 0
        task::await(socket::send(c, data))
      end
      socket::close(c)
      "served"
    end)
"#;

#[test]
fn echo_between_two_tasks() {
    let r = run_net(&format!(
        r#"{ECHO}
        s = socket::tcpconnect("127.0.0.1", port)
        println task::await(socket::send(s, "hello".to_bytes()))
        println task::await(socket::recv(s)).to_string()
        socket::shutdown(s)
        println task::await(socket::recv(s)).size()
        println task::await(server_task)
        "#
    ));
    assert_eq!(r.err, "");
    assert_eq!(r.out, "5\nhello\n0\nserved\n");
    assert_eq!(r.code, 0);
}

#[test]
fn close_faults_a_recv_another_task_awaits() {
    let r = run_net(&format!(
        r#"{ECHO}
        s = socket::tcpconnect("127.0.0.1", port)
        r = socket::recv(s)
        reader = task::spawn(with do
          outcome = "no fault"
          try
            task::await(r)
          catch e
            outcome = e["error"] + ": " + e["message"]
          end
          outcome
        end)
        task::sleep(5)
        println task::status(r)
        socket::close(s)
        println task::await(reader)
        println task::status(r)
        "#
    ));
    assert_eq!(r.err, "");
    assert!(
        r.out.starts_with("Running\nSystemError: socket "),
        "{}",
        r.out
    );
    assert!(r.out.contains("was closed\nUnknown\n"), "{}", r.out);
}

#[test]
fn await_with_timeout_on_a_recv_then_the_data_arrives() {
    let r = run_net(&format!(
        r#"{ECHO}
        s = socket::tcpconnect("127.0.0.1", port)
        r = socket::recv(s)
        try
          task::await(r, 20)
        catch e
          println e["error"]
        end
        println task::status(r)
        task::await(socket::send(s, "late".to_bytes()))
        println task::await(r).to_string()
        "#
    ));
    assert_eq!(r.err, "");
    assert_eq!(r.out, "TimeoutError\nRunning\nlate\n");
    assert!(r.elapsed >= Duration::from_millis(20));
}

#[test]
fn a_cpu_bound_task_does_not_stop_an_echo() {
    // With a tiny fuel budget the spinning task is preempted constantly; the echo must still
    // complete, and the spinner sees `done` flip while it is still running.
    let r = run_net_fuel(
        &format!(
            r#"{ECHO}
            done = false
            spins = 0
            spinner = task::spawn(with do
              while !done do spins += 1 end
              spins
            end)
            s = socket::tcpconnect("127.0.0.1", port)
            task::await(socket::send(s, "ping".to_bytes()))
            println task::await(socket::recv(s)).to_string()
            done = true
            println task::await(spinner) > 0
            "#
        ),
        5,
    );
    assert_eq!(r.err, "");
    assert_eq!(r.out, "ping\ntrue\n");
}

#[test]
fn bad_ids_fault_the_operation_and_say_what_the_id_is() {
    let r = run_net(
        r#"
        t = task::spawn(with do task::sleep(10) end)
        for id in [999, t] do
          op = socket::recv(id)
          println task::status(op)
          try
            task::await(op)
          catch e
            println e["message"]
          end
        end
        srv = socket::tcpserver("127.0.0.1", 0)
        try
          task::await(socket::recv(srv))
        catch e
          println e["message"]
        end
        println socket::close(12345)
        "#,
    );
    assert_eq!(r.err, "");
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(lines[0], "Faulted");
    assert_eq!(lines[1], "invalid socket id 999");
    assert_eq!(lines[2], "Faulted");
    assert!(lines[3].ends_with("(it is a task id)"), "{}", lines[3]);
    assert!(
        lines[4].contains("is a listening TCP socket, not a connection"),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5], "null");
}

#[test]
fn argument_errors_are_raised_at_the_call() {
    let r = run_net(
        r#"
        srv = socket::tcpserver("127.0.0.1", 0)
        port = socket::local_addr(srv)["port"]
        s = socket::tcpconnect("127.0.0.1", port)
        for max in [0, -1] do
          try socket::recv(s, max) catch e println e["error"] + ": " + e["message"] end
        end
        try socket::recv(s, "10") catch e println e["error"] end
        try socket::send(s, "text") catch e println e["error"] + ": " + e["message"] end
        try socket::tcpserver(80, 1) catch e println e["error"] end
        try socket::tcpconnect("127.0.0.1", 70000) catch e println e["error"] + ": " + e["message"] end
        try socket::tcpserver("127.0.0.1", 0, 0) catch e println e["error"] end
        "#,
    );
    assert_eq!(r.err, "");
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(
        lines[0],
        "ValueError: max_bytes must be a positive integer, got 0"
    );
    assert_eq!(
        lines[1],
        "ValueError: max_bytes must be a positive integer, got -1"
    );
    assert_eq!(lines[2], "ParameterTypeMismatchError");
    assert!(
        lines[3].starts_with("ParameterTypeMismatchError") && lines[3].contains(".to_bytes()"),
        "{}",
        lines[3]
    );
    assert_eq!(lines[4], "ParameterTypeMismatchError");
    assert!(
        lines[5].starts_with("SystemError: port 70000"),
        "{}",
        lines[5]
    );
    assert_eq!(lines[6], "ValueError");
}

#[test]
fn a_huge_max_bytes_is_fine() {
    let r = run_net(&format!(
        r#"{ECHO}
        s = socket::tcpconnect("127.0.0.1", port)
        task::await(socket::send(s, "abc".to_bytes()))
        println task::await(socket::recv(s, 1099511627776)).to_string()
        "#
    ));
    assert_eq!(r.err, "");
    assert_eq!(r.out, "abc\n");
}

#[test]
fn awaiting_a_live_socket_id_returns_it() {
    let r = run_net(
        r#"
        srv = socket::tcpserver("127.0.0.1", 0)
        println task::await(srv) == srv
        socket::close(srv)
        try task::await(srv) catch e println e["error"] end
        "#,
    );
    assert_eq!(r.out, "true\nInvalidOperationError\n");
}

#[test]
fn refused_connect_is_a_catchable_system_error() {
    let r = run_net(
        r#"
        try
          socket::tcpconnect("127.0.0.1", 1)
        catch e
          println e["error"] + ": " + e["message"]
        end
        "#,
    );
    // The VM adds the error type; the message is the driver's, unchanged.
    assert_eq!(
        r.out,
        "SystemError: fake: 127.0.0.1:1 refused the connection\n"
    );
}

#[test]
fn pending_operations_nobody_awaits_do_not_keep_the_script_alive() {
    let r = run_net(
        r#"
        srv = socket::tcpserver("127.0.0.1", 0)
        a = socket::accept(srv)
        println task::status(a)
        println task::busy()
        "#,
    );
    assert_eq!(r.out, "Running\ntrue\n");
    assert_eq!(r.code, 0);
}

#[test]
fn several_pending_accepts_complete_in_order() {
    let r = run_net(
        r#"
        srv = socket::tcpserver("127.0.0.1", 0)
        port = socket::local_addr(srv)["port"]
        ops = [socket::accept(srv), socket::accept(srv), socket::accept(srv)]
        clients = []
        repeat 3 do clients.push(socket::tcpconnect("127.0.0.1", port)) end
        accepted = ops.map(do (op) => task::await(op))
        peers = accepted.map(do (c) => socket::peer_addr(c)["port"])
        locals = clients.map(do (c) => socket::local_addr(c)["port"])
        println peers == locals
        "#,
    );
    assert_eq!(r.err, "");
    assert_eq!(r.out, "true\n");
}

#[test]
fn deadlock_on_a_recv_that_nothing_can_complete_is_reported() {
    // In the fake world nothing arrives from outside, so this is a true deadlock: main gets
    // the RuntimeError rather than hanging.
    let r = run_net(
        r#"
        srv = socket::tcpserver("127.0.0.1", 0)
        task::await(socket::accept(srv))
        "#,
    );
    assert!(r.err.starts_with("[RuntimeError]: Deadlock"), "{}", r.err);
    assert_eq!(r.code, 1);
}

#[test]
fn tls_connect_failures_are_negative_codes_with_a_reason_per_task() {
    let r = run_net(
        r#"
        tls_srv = tls::tcpserver("127.0.0.1", 0)
        tls_port = tls::local_addr(tls_srv)["port"]
        tcp_srv = socket::tcpserver("127.0.0.1", 0)
        tcp_port = socket::local_addr(tcp_srv)["port"]
        println tls::last_error() == ""
        println tls::tcpconnect("no-such-host.invalid", 443)
        println tls::last_error()
        println tls::tcpconnect("127.0.0.1", 1)
        println tls::tcpconnect("127.0.0.1", tcp_port)
        println tls::tcpconnect("127.0.0.1", tls_port, "expired.test")
        println tls::last_error()
        other = task::spawn(with do
          # Another task's failures are not this task's.
          before = tls::last_error()
          tls::tcpconnect("x.invalid")
          [before, tls::last_error()]
        end)
        println task::await(other)
        println tls::last_error()
        s = tls::tcpconnect("127.0.0.1", tls_port)
        println s > 0
        println task::await(s) == s
        "#,
    );
    assert_eq!(r.err, "");
    // The VM's part: a code per failure kind, and each task's own last reason (the driver's
    // text, unchanged).
    assert_eq!(
        r.out,
        "true\n-1\nfake: no-such-host.invalid:443 does not resolve\n-2\n-3\n-4\n\
         fake: the certificate of expired.test expired\n\
         [\"\", \"fake: x.invalid:443 does not resolve\"]\n\
         fake: the certificate of expired.test expired\ntrue\ntrue\n"
    );
}

#[test]
fn ids_of_one_package_are_refused_by_the_other_with_what_they_are() {
    let r = run_net(
        r#"
        tls_srv = tls::tcpserver("127.0.0.1", 0)
        port = tls::local_addr(tls_srv)["port"]
        tcp_srv = socket::tcpserver("127.0.0.1", 0)
        for op in [socket::accept(tls_srv), tls::accept(tcp_srv)] do
          try task::await(op) catch e println e["message"] end
        end
        s = tls::tcpconnect("127.0.0.1", port)
        try task::await(socket::recv(s)) catch e println e["message"] end
        try task::await(socket::send(s, "x".to_bytes())) catch e println e["message"] end
        try socket::close(s) catch e println e["message"] end
        try tls::tcpserver("127.0.0.1", 0, 128, "cert.pem") catch e println e["error"] end
        "#,
    );
    assert_eq!(r.err, "");
    let lines: Vec<&str> = r.out.lines().collect();
    assert!(
        lines[0].ends_with("is a listening TLS socket: use tls::accept"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with("is a listening TCP socket: use socket::accept"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with("is a TLS connection: use tls::recv"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].ends_with("is a TLS connection: use tls::send"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].ends_with("is a TLS connection: use tls::close"),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5], "ValueError");
}

#[test]
fn an_operation_awaited_at_once_behaves_like_one_awaited_later() {
    // `await(socket::recv(..))` skips the scheduler entry when the operation finishes at
    // once; results, faults and a script's own `await` must be unaffected.
    let r = run_net(&format!(
        r#"{ECHO}
        s = socket::tcpconnect("127.0.0.1", port)
        println task::await(socket::send(s, "ab".to_bytes()))
        println await(socket::recv(s)).to_string()
        try
          task::await(socket::recv(424242))
        catch e
          println e["error"] + ": " + e["message"]
        end
        op = socket::send(s, "cd".to_bytes())
        println task::status(op)
        println task::await(op)
        println task::await(socket::recv(s)).to_string()
        "#
    ));
    assert_eq!(r.err, "");
    assert_eq!(
        r.out,
        "2\nab\nSystemError: invalid socket id 424242\nCompleted\n2\ncd\n"
    );
    let own = run_net(&format!(
        r#"{ECHO}
        fn await(x)
          "my await got an id: " + (typeof(x) == "integer")
        end
        s = socket::tcpconnect("127.0.0.1", port)
        println await(socket::send(s, "x".to_bytes()))
        "#
    ));
    assert_eq!(own.err, "");
    assert_eq!(own.out, "my await got an id: true\n");
}

#[test]
fn cancelled_readers_leave_no_ids_and_lose_no_bytes() {
    // A server that cancels a reader task per connection must not keep an entry for each
    // cancelled receive; the bytes that arrive later all reach the next reader.
    let r = run_net(
        r#"
        srv = socket::tcpserver("127.0.0.1", 0)
        port = socket::local_addr(srv)["port"]
        accepting = socket::accept(srv)
        c = socket::tcpconnect("127.0.0.1", port)
        s = task::await(accepting)
        cancelled = 0
        repeat 300 do
          reader = task::spawn(with do task::await(socket::recv(c)) end)
          task::sleep(1)
          cancelled += 1 when task::cancel(reader)
          try
            task::await(reader)
          catch e
            cancelled += 1 when e["error"] == "CancelledError"
          end
        end
        task::await(socket::send(s, "intact".to_bytes()))
        println task::await(socket::recv(c)).to_string()
        println cancelled
        println task::list().size()
    "#,
    );
    assert_eq!(r.err, "");
    assert_eq!(r.out, "intact\n600\n0\n");
    // The main task only.
    assert!(r.registered <= 1, "{} ids still registered", r.registered);
}
