//! Loopback tests of the TCP operations (127.0.0.1 / ::1, port 0 always).

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream as StdStream};
use std::time::Duration;

use kiwi_net::{Done, ErrorKind, SocketKind};
use kiwi_testkit::{ipv6_loopback_or_skip, localhost_resolves_or_skip, ClosedPort};
use util::{run, Driver};

#[test]
fn echo_round_trip() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        assert_eq!(d.send(client, b"hello").await.unwrap(), 5);
        let got = d.recv_exact(server, 5).await;
        assert_eq!(got, b"hello");
        d.send(server, &got).await.unwrap();
        assert_eq!(d.recv_exact(client, 5).await, b"hello");
        assert_eq!(d.net.pending(), 0);
    });
}

#[test]
fn end_of_stream_is_empty_bytes() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        d.send(client, b"x").await.unwrap();
        d.net.close(client);
        assert_eq!(d.recv_exact(server, 1).await, b"x");
        assert_eq!(d.recv(server, 10).await.unwrap(), b"");
        // Still end of stream on a second try.
        assert_eq!(d.recv(server, 10).await.unwrap(), b"");
    });
}

#[test]
fn recv_respects_max() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        d.send(client, b"abcdefgh").await.unwrap();
        let mut all = Vec::new();
        while all.len() < 8 {
            let chunk = d.recv(server, 3).await.unwrap();
            assert!(
                !chunk.is_empty() && chunk.len() <= 3,
                "chunk of {}",
                chunk.len()
            );
            all.extend(chunk);
        }
        assert_eq!(all, b"abcdefgh");
    });
}

#[test]
fn huge_max_is_fine() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        let op = d.op();
        assert!(d.net.recv(op, server, 1 << 40).is_none());
        d.send(client, b"ok").await.unwrap();
        assert_eq!(util::bytes(d.wait(op).await.unwrap()), b"ok");
    });
}

#[test]
fn eight_mib_transfer_intact() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        let data: Vec<u8> = (0..8 << 20)
            .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let op = d.op();
        let now = d.net.send(op, client, &data);
        let mut got = Vec::new();
        let max = 10_000;
        while got.len() < data.len() {
            let chunk = d.recv(server, max).await.unwrap();
            assert!(!chunk.is_empty() && chunk.len() <= max);
            got.extend(chunk);
        }
        assert_eq!(d.finish(op, now).await.unwrap(), Done::Sent(data.len()));
        assert!(got == data, "data corrupted");
    });
}

#[test]
fn queued_sends_complete_in_order() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        let chunk = 64 * 1024;
        let mut ops = Vec::new();
        let mut immediate = 0;
        for i in 0..100u32 {
            let op = d.op();
            let data: Vec<u8> = (0..chunk)
                .map(|j| (i as usize * 7 + j / 4096) as u8)
                .collect();
            match d.net.send(op, client, &data) {
                Some(r) => {
                    assert_eq!(r.unwrap(), Done::Sent(chunk));
                    assert!(
                        ops.is_empty(),
                        "a send completed at once after an earlier one was queued"
                    );
                    immediate += 1;
                }
                None => ops.push(op),
            }
        }
        assert!(
            !ops.is_empty(),
            "the peer is not reading, so some sends must queue"
        );
        assert_eq!(d.net.pending(), ops.len());
        let got = d.recv_exact(server, 100 * chunk).await;
        assert_eq!(got.len(), 100 * chunk);
        for i in 0..100 {
            for (j, b) in got[i * chunk..(i + 1) * chunk].iter().enumerate() {
                assert_eq!(
                    *b,
                    (i * 7 + j / 4096) as u8,
                    "send {i} byte {j} out of order"
                );
            }
        }
        for op in &ops {
            assert_eq!(d.wait(*op).await.unwrap(), Done::Sent(chunk));
        }
        assert_eq!(
            d.completion_order(&ops),
            ops,
            "queued sends must complete in the order they were made"
        );
        assert_eq!(immediate + ops.len(), 100);
        assert_eq!(d.net.pending(), 0);
    });
}

#[test]
fn pending_accepts_are_served_fifo() {
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        let ops: Vec<_> = (0..3).map(|_| d.op()).collect();
        for &op in &ops {
            assert!(d.net.accept(op, l).is_none());
        }
        let mut peers = Vec::new();
        for i in 0..3u8 {
            let mut s = StdStream::connect(addr).unwrap();
            s.write_all(&[i]).unwrap();
            peers.push(s);
            // Let each connection land before the next, so arrival order is known.
            let accepted = util::socket(d.wait(ops[i as usize]).await.unwrap());
            assert_eq!(d.recv(accepted, 1).await.unwrap(), [i]);
        }
    });
}

#[test]
fn pending_accepts_fifo_when_all_arrive_together() {
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        let ops: Vec<_> = (0..5).map(|_| d.op()).collect();
        for &op in &ops {
            assert!(d.net.accept(op, l).is_none());
        }
        let peers: Vec<_> = (0..5).map(|_| StdStream::connect(addr).unwrap()).collect();
        let mut ids = Vec::new();
        for &op in &ops {
            ids.push(util::socket(d.wait(op).await.unwrap()));
        }
        // Ids are handed out in completion order, and completions follow the accept order.
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        drop(peers);
    });
}

#[test]
fn pending_recvs_are_served_fifo() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        let ops: Vec<_> = (0..3).map(|_| d.op()).collect();
        for &op in &ops {
            assert!(d.net.recv(op, server, 1).is_none());
        }
        d.send(client, b"abc").await.unwrap();
        let mut got = Vec::new();
        for &op in &ops {
            got.extend(util::bytes(d.wait(op).await.unwrap()));
        }
        assert_eq!(got, b"abc");
    });
}

#[test]
fn close_faults_pending_operations() {
    run(async {
        let mut d = Driver::new();
        let (l, client, server) = d.pair().await;
        let r1 = d.op();
        let r2 = d.op();
        assert!(d.net.recv(r1, server, 10).is_none());
        assert!(d.net.recv(r2, server, 10).is_none());
        // Fill the send buffer until a send has to queue.
        let mut sends = Vec::new();
        for _ in 0..1000 {
            let op = d.op();
            if d.net.send(op, server, &vec![0; 1 << 20]).is_none() {
                sends.push(op);
                break;
            }
        }
        assert_eq!(sends.len(), 1, "a send should have queued");
        let a = d.op();
        assert!(d.net.accept(a, l).is_none());
        assert_eq!(d.net.pending(), 4);
        d.net.close(server);
        d.net.close(l);
        for op in [r1, r2, sends[0], a] {
            let e = d.wait(op).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Closed);
            assert!(e.message.contains("was closed"), "{}", e.message);
        }
        assert_eq!(d.net.pending(), 0);
        assert_eq!(d.net.kind(server), None);
        d.net.close(server); // already closed: no-op
        d.net.close(12345); // never existed: no-op
        let _ = client;
    });
}

#[test]
fn bad_ids_are_invalid() {
    run(async {
        let mut d = Driver::new();
        let op = d.op();
        for r in [
            d.net.recv(op, 999, 1),
            d.net.send(op, 999, &[1]),
            d.net.accept(op, 999),
        ] {
            let e = r.unwrap().unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidId);
            assert_eq!(e.message, "invalid socket id 999");
        }
        assert_eq!(
            d.net.shutdown(-3).unwrap_err().message,
            "invalid socket id -3"
        );
        assert_eq!(
            d.net.local_addr(999).unwrap_err().kind,
            ErrorKind::InvalidId
        );
        assert_eq!(d.net.peer_addr(999).unwrap_err().kind, ErrorKind::InvalidId);
        assert_eq!(d.net.kind(999), None);
        assert_eq!(d.net.pending(), 0);
        // A closed id is invalid too.
        let (l, client, _) = d.pair().await;
        d.net.close(client);
        assert_eq!(
            d.net.recv(d.op(), client, 1).unwrap().unwrap_err().message,
            format!("invalid socket id {client}")
        );
        d.net.close(l);
        assert_eq!(
            d.net.accept(d.op(), l).unwrap().unwrap_err().kind,
            ErrorKind::InvalidId
        );
    });
}

#[test]
fn wrong_kind_errors() {
    run(async {
        let mut d = Driver::new();
        let (l, client, _) = d.pair().await;
        assert_eq!(d.net.kind(l), Some(SocketKind::Listener));
        assert_eq!(d.net.kind(client), Some(SocketKind::Stream));
        let listener_msg = format!("socket {l} is a listening socket, not a connection");
        for e in [
            d.net.recv(d.op(), l, 1).unwrap().unwrap_err(),
            d.net.send(d.op(), l, &[1]).unwrap().unwrap_err(),
            d.net.shutdown(l).unwrap_err(),
            d.net.peer_addr(l).unwrap_err(),
        ] {
            assert_eq!(e.kind, ErrorKind::WrongKind);
            assert_eq!(e.message, listener_msg);
        }
        let e = d.net.accept(d.op(), client).unwrap().unwrap_err();
        assert_eq!(e.kind, ErrorKind::WrongKind);
        assert_eq!(
            e.message,
            format!("socket {client} is a connection, not a listening socket")
        );
        assert_eq!(d.net.pending(), 0);
    });
}

#[test]
fn connect_refused() {
    run(async {
        let mut d = Driver::new();
        let closed = ClosedPort::new();
        let port = closed.port;
        let e = d.connect("127.0.0.1", port).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Refused);
        assert!(
            e.message
                .starts_with(&format!("connect to 127.0.0.1:{port} failed: ")),
            "{}",
            e.message
        );
        assert!(!e.message.contains('\n'));
        assert_eq!(d.net.pending(), 0);
    });
}

#[test]
fn unresolvable_name() {
    run(async {
        let mut d = Driver::new();
        let op = d.op();
        d.net.connect(op, "no-such-host.invalid", 80);
        // `.invalid` is refused locally (RFC 6761), so no resolver is involved and the answer
        // is immediate: no environment excuse.
        let e = d.wait(op).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Resolve);
        assert!(
            e.message.contains("no-such-host.invalid:80"),
            "{}",
            e.message
        );
        let e = d
            .net
            .tcp_server("no-such-host.invalid", 0, 1, false)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Resolve);
    });
}

#[test]
fn peer_reset_is_an_error_and_others_are_unaffected() {
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        let peer = StdStream::connect(addr).unwrap();
        let victim = d.accept(l).await.unwrap();
        let (_, other_client, other_server) = d.pair().await;
        (&peer).write_all(b"partial").unwrap();
        socket2::SockRef::from(&peer)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(peer);
        let mut saw_reset = false;
        for _ in 0..100 {
            match d.recv(victim, 1024).await {
                Ok(b) if b.is_empty() => panic!("end of stream instead of reset"),
                Ok(_) => continue,
                Err(e) => {
                    assert_eq!(e.kind, ErrorKind::Reset, "{}", e.message);
                    assert!(
                        e.message
                            .starts_with(&format!("recv on socket {victim} failed: ")),
                        "{}",
                        e.message
                    );
                    saw_reset = true;
                    break;
                }
            }
        }
        assert!(saw_reset);
        // Sending to the reset socket fails rather than panicking.
        let mut send_failed = false;
        for _ in 0..10 {
            if d.send(victim, b"x").await.is_err() {
                send_failed = true;
                break;
            }
        }
        assert!(send_failed);
        d.send(other_client, b"still fine").await.unwrap();
        assert_eq!(d.recv_exact(other_server, 10).await, b"still fine");
    });
}

#[test]
fn ipv6_loopback() {
    if !ipv6_loopback_or_skip("ipv6_loopback") {
        return;
    }
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("::1");
        assert!(addr.is_ipv6() && addr.port() != 0);
        let op = d.op();
        d.net.connect(op, "::1", addr.port());
        let server = d.accept(l).await.unwrap();
        let client = util::socket(d.wait(op).await.unwrap());
        d.send(client, b"v6").await.unwrap();
        assert_eq!(d.recv_exact(server, 2).await, b"v6");
        assert_eq!(d.net.peer_addr(server).unwrap().ip(), addr.ip());
        // Bracketed form works too.
        let c2 = d.connect("[::1]", addr.port()).await.unwrap();
        assert_eq!(d.net.peer_addr(c2).unwrap(), addr);
    });
}

#[test]
fn all_interfaces_listener_accepts_v4() {
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("");
        assert!(addr.ip().is_unspecified());
        let op = d.op();
        d.net.connect(op, "127.0.0.1", addr.port());
        d.accept(l).await.unwrap();
        d.wait(op).await.unwrap();
    });
}

/// `"::"` listens dual-stack, like Node and Python: IPv4 clients arrive as IPv6-mapped peers.
#[test]
fn ipv6_any_listener_accepts_v4_and_v6() {
    if !ipv6_loopback_or_skip("ipv6_any_listener_accepts_v4_and_v6") {
        return;
    }
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("::");
        assert!(addr.is_ipv6() && addr.ip().is_unspecified());
        let op = d.op();
        d.net.connect(op, "127.0.0.1", addr.port());
        let s4 = d.accept(l).await.unwrap();
        d.wait(op).await.unwrap();
        assert_eq!(
            d.net.peer_addr(s4).unwrap().ip().to_string(),
            "::ffff:127.0.0.1"
        );
        let c6 = d.connect("::1", addr.port()).await.unwrap();
        let s6 = d.accept(l).await.unwrap();
        assert_eq!(d.net.peer_addr(s6).unwrap(), d.net.local_addr(c6).unwrap());
    });
}

#[test]
fn port_zero_local_and_peer_addr() {
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        assert_ne!(addr.port(), 0);
        let op = d.op();
        d.net.connect(op, "127.0.0.1", addr.port());
        let server = d.accept(l).await.unwrap();
        let client = util::socket(d.wait(op).await.unwrap());
        assert_eq!(d.net.peer_addr(client).unwrap(), addr);
        assert_eq!(
            d.net.local_addr(client).unwrap(),
            d.net.peer_addr(server).unwrap()
        );
        assert_eq!(d.net.local_addr(server).unwrap(), addr);
    });
}

#[test]
fn addr_in_use() {
    run(async {
        let mut d = Driver::new();
        let (_, addr) = d.server("127.0.0.1");
        let e = d
            .net
            .tcp_server("127.0.0.1", addr.port(), 16, false)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::AddrInUse, "{}", e.message);
        assert!(e.message.contains(&addr.to_string()), "{}", e.message);
    });
}

#[test]
fn shutdown_half_closes() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        d.send(client, b"last words").await.unwrap();
        d.net.shutdown(client).unwrap();
        d.net.shutdown(client).unwrap(); // idempotent
        assert_eq!(d.recv_exact(server, 10).await, b"last words");
        assert_eq!(d.recv(server, 10).await.unwrap(), b"");
        // We can still receive on the shut-down side.
        d.send(server, b"reply").await.unwrap();
        assert_eq!(d.recv_exact(client, 5).await, b"reply");
        let e = d.send(client, b"more").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Closed);
    });
}

#[test]
fn shutdown_waits_for_queued_sends() {
    run(async {
        let mut d = Driver::new();
        let (_, client, server) = d.pair().await;
        let big = vec![7u8; 16 << 20];
        let op = d.op();
        let now = d.net.send(op, client, &big);
        assert!(now.is_none(), "16 MiB should not fit in a socket buffer");
        d.net.shutdown(client).unwrap();
        let mut total = 0;
        loop {
            let chunk = d.recv(server, 1 << 16).await.unwrap();
            if chunk.is_empty() {
                break;
            }
            total += chunk.len();
        }
        assert_eq!(total, big.len());
        assert_eq!(d.wait(op).await.unwrap(), Done::Sent(big.len()));
    });
}

#[test]
fn close_all_faults_everything() {
    run(async {
        let mut d = Driver::new();
        let (l, client, server) = d.pair().await;
        let r = d.op();
        assert!(d.net.recv(r, server, 1).is_none());
        let a = d.op();
        assert!(d.net.accept(a, l).is_none());
        d.net.close_all();
        for op in [r, a] {
            assert_eq!(d.wait(op).await.unwrap_err().kind, ErrorKind::Closed);
        }
        for id in [l, client, server] {
            assert_eq!(d.net.kind(id), None);
        }
        assert_eq!(d.net.pending(), 0);
    });
}

#[test]
fn std_thread_peer() {
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        let peer = std::thread::spawn(move || {
            let mut s = StdStream::connect(addr).unwrap();
            s.write_all(b"ping").unwrap();
            let mut buf = [0; 4];
            s.read_exact(&mut buf).unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            buf
        });
        let s = d.accept(l).await.unwrap();
        let got = d.recv_exact(s, 4).await;
        d.send(s, &got).await.unwrap();
        assert_eq!(d.recv(s, 4).await.unwrap(), b"");
        assert_eq!(&peer.join().unwrap(), b"ping");
    });
}

#[test]
fn thousand_concurrent_connections_echo() {
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        const N: usize = 1000;
        let mut conns = Vec::new();
        for _ in 0..N {
            let op = d.op();
            d.net.connect(op, "127.0.0.1", addr.port());
            let server = d.accept(l).await.unwrap();
            let client = util::socket(d.wait(op).await.unwrap());
            conns.push((client, server));
        }
        // Every server side waits for a message at the same time.
        let mut recvs = Vec::new();
        for &(_, s) in &conns {
            let op = d.op();
            assert!(d.net.recv(op, s, 64).is_none());
            recvs.push(op);
        }
        for (i, &(c, _)) in conns.iter().enumerate() {
            d.send(c, format!("msg {i}").as_bytes()).await.unwrap();
        }
        for (i, &op) in recvs.iter().enumerate() {
            let got = util::bytes(d.wait(op).await.unwrap());
            assert_eq!(got, format!("msg {i}").as_bytes());
            d.send(conns[i].1, &got).await.unwrap();
        }
        for (i, &(c, _)) in conns.iter().enumerate() {
            let want = format!("msg {i}");
            assert_eq!(d.recv_exact(c, want.len()).await, want.as_bytes());
        }
        assert_eq!(d.net.pending(), 0);
    });
}

#[test]
fn clones_share_state_and_stale_wakeups_are_harmless() {
    run(async {
        let mut d = Driver::new();
        let other = d.net.clone();
        let (_, client, server) = d.pair().await;
        let op = d.op();
        assert!(d.net.recv(op, server, 8).is_none());
        other.close(server);
        assert_eq!(d.wait(op).await.unwrap_err().kind, ErrorKind::Closed);
        // A new socket probably reuses the slot; data for the old one must not confuse it.
        let (_, c2, s2) = d.pair().await;
        d.send(client, b"late").await.ok();
        d.send(c2, b"new").await.unwrap();
        assert_eq!(d.recv_exact(s2, 3).await, b"new");
    });
}

#[test]
fn completion_ready_is_cancel_safe() {
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        let s = {
            let peer = std::thread::spawn(move || {
                let mut s = StdStream::connect(addr).unwrap();
                std::thread::sleep(Duration::from_millis(100));
                s.write_all(b"late").unwrap();
                s
            });
            let s = d.accept(l).await.unwrap();
            let op = d.op();
            assert!(d.net.recv(op, s, 16).is_none());
            // Drop the readiness future many times before it can resolve.
            let mut spins = 0;
            loop {
                tokio::select! {
                    _ = d.net.completion_ready() => break,
                    _ = tokio::time::sleep(Duration::from_millis(1)) => spins += 1,
                }
                assert!(spins < 10_000, "never became ready");
            }
            assert_eq!(util::bytes(d.wait(op).await.unwrap()), b"late");
            peer.join().unwrap()
        };
        drop(s);
    });
}

#[test]
fn connect_by_name_and_pending_count() {
    if !localhost_resolves_or_skip("connect_by_name_and_pending_count") {
        return;
    }
    run(async {
        let mut d = Driver::new();
        let (l, addr) = d.server("127.0.0.1");
        let op = d.op();
        d.net.connect(op, "localhost", addr.port());
        assert_eq!(d.net.pending(), 1);
        // localhost may resolve to ::1 first, where nobody listens: every address is tried.
        let c = util::socket(d.wait(op).await.unwrap());
        let s = d.accept(l).await.unwrap();
        assert_eq!(d.net.peer_addr(c).unwrap(), addr);
        assert_eq!(d.net.peer_addr(s).unwrap(), d.net.local_addr(c).unwrap());
        assert_eq!(d.net.pending(), 0);
    });
}

#[test]
fn close_all_cancels_connects_and_dropping_net_is_clean() {
    run(async {
        let mut d = Driver::new();
        let (_, addr) = d.server("127.0.0.1");
        let op = d.op();
        d.net.connect(op, "127.0.0.1", addr.port());
        d.net.close_all();
        assert_eq!(d.wait(op).await.unwrap_err().kind, ErrorKind::Closed);
        assert_eq!(d.net.pending(), 0);
        // Connect results arriving after close_all are ignored, not delivered twice.
        d.idle(Duration::from_millis(50)).await;
        let other = kiwi_net::Net::new(d.ids.clone());
        other.connect(d.op(), "127.0.0.1", addr.port());
        drop(other);
        d.idle(Duration::from_millis(20)).await;
    });
}

/// A cancelled receive never completes and takes nothing: the bytes go to the next receive.
/// A cancelled connect never completes either, and neither does a finished one cancel.
#[test]
fn cancelled_operations_take_nothing_and_never_complete() {
    run(async {
        let mut d = Driver::new();
        let (l, client, server) = d.pair().await;
        let op = d.op();
        assert!(d.net.recv(op, server, 10).is_none());
        let pending = d.net.pending();
        assert_eq!(
            d.net.cancel(op, Some(server)),
            Some(kiwi_net::Cancelled::Queued)
        );
        assert_eq!(d.net.pending(), pending - 1);
        assert_eq!(d.net.cancel(op, Some(server)), None, "cancelled twice");
        d.send(client, b"all of it").await.unwrap();
        assert_eq!(d.recv_exact(server, 9).await, b"all of it");
        assert!(!d.is_done(op));

        let addr = d.net.local_addr(l).unwrap();
        let connect = d.op();
        d.net.connect(connect, "127.0.0.1", addr.port());
        assert_eq!(
            d.net.cancel(connect, None),
            Some(kiwi_net::Cancelled::Connect)
        );
        d.idle(Duration::from_millis(50)).await;
        assert!(!d.is_done(connect));
        assert_eq!(d.net.pending(), 0);
        // A finished operation is not waiting any more.
        let done = d.op();
        d.send(client, b"x").await.unwrap();
        let now = d.net.recv(done, server, 1);
        assert_eq!(util::bytes(d.finish(done, now).await.unwrap()), b"x");
        assert_eq!(d.net.cancel(done, Some(server)), None);
    });
}

/// `resolve` gives a name's addresses (localhost: a loopback address), each once.
#[test]
fn resolve_localhost() {
    if !localhost_resolves_or_skip("resolve_localhost") {
        return;
    }
    run(async {
        let mut d = Driver::new();
        let op = d.op();
        d.net.resolve(op, "localhost");
        let Done::Addresses(ips) = d.wait(op).await.unwrap() else {
            panic!("expected addresses");
        };
        assert!(
            !ips.is_empty() && ips.iter().all(|ip| ip.is_loopback()),
            "{ips:?}"
        );
        let mut unique = ips.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ips.len());
        let bad = d.op();
        d.net.resolve(bad, "x.invalid");
        assert_eq!(d.wait(bad).await.unwrap_err().kind, ErrorKind::Resolve);
    });
}
