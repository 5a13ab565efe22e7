//! Loopback tests of TLS (port 0 always). Every certificate and key is generated here, at
//! test time, with rcgen (RSA keys with openssl when it is installed); nothing is checked in.

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kiwi_net::{ErrorKind, Id, NetError, SocketKind};
use kiwi_testkit::{
    assert_alert_or_nothing, ipv6_loopback_or_skip, read_until_closed, tool_or_skip, ClosedPort,
};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use util::{run, socket, Driver};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kiwi-net-tls-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(p, key))
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut p = CertificateParams::new(names).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "kiwi test server");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p
}

/// A certificate file (leaf, then the CA) and a key file.
struct Identity {
    cert: PathBuf,
    key: PathBuf,
}

/// The test PKI: a trusted CA, and server identities good and bad.
struct Pki {
    dir: TempDir,
    ca_pem: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    ca_cert: String,
}

impl Pki {
    fn new() -> Pki {
        let dir = TempDir::new();
        let (ca_cert, issuer) = ca("kiwi test CA");
        let ca_pem = dir.write("ca.pem", &ca_cert);
        Pki {
            dir,
            ca_pem,
            issuer,
            ca_cert,
        }
    }

    fn signed(&self, name: &str, p: CertificateParams) -> (Identity, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        let chain = format!("{}{}", cert.pem(), self.ca_cert);
        let id = Identity {
            cert: self.dir.write(&format!("{name}.crt"), chain),
            key: self.dir.write(&format!("{name}.key"), key.serialize_pem()),
        };
        (id, key)
    }

    fn good(&self) -> Identity {
        self.signed("good", leaf_params(&["localhost", "127.0.0.1"]))
            .0
    }

    fn expired(&self) -> Identity {
        let mut p = leaf_params(&["localhost", "127.0.0.1"]);
        p.not_before = date_time_ymd(2019, 1, 1);
        p.not_after = date_time_ymd(2020, 1, 1);
        self.signed("expired", p).0
    }

    fn self_signed(&self) -> Identity {
        let key = KeyPair::generate().unwrap();
        let cert = leaf_params(&["localhost", "127.0.0.1"])
            .self_signed(&key)
            .unwrap();
        Identity {
            cert: self.dir.write("self.crt", cert.pem()),
            key: self.dir.write("self.key", key.serialize_pem()),
        }
    }

    fn other_ca(&self) -> Identity {
        let (other_pem, other) = ca("some other CA");
        let key = KeyPair::generate().unwrap();
        let cert = leaf_params(&["localhost", "127.0.0.1"])
            .signed_by(&key, &other)
            .unwrap();
        Identity {
            cert: self
                .dir
                .write("other.crt", format!("{}{}", cert.pem(), other_pem)),
            key: self.dir.write("other.key", key.serialize_pem()),
        }
    }
}

fn server(d: &Driver, host: &str, id: Option<&Identity>) -> (Id, u16) {
    let l = d
        .net
        .tls_server(
            host,
            0,
            128,
            false,
            id.map(|i| (i.cert.as_path(), i.key.as_path())),
        )
        .expect("tls_server");
    let port = d.net.local_addr(l).unwrap().port();
    (l, port)
}

async fn connect(d: &mut Driver, host: &str, port: u16, sni: &str) -> Result<Id, NetError> {
    let op = d.op();
    d.net.tls_connect(op, host, port, sni);
    d.wait(op).await.map(socket)
}

/// Starts an accept (it must be pending) and returns its op.
fn start_accept(d: &mut Driver, l: Id) -> Id {
    let op = d.op();
    assert!(d.net.accept(op, l).is_none(), "accept should wait");
    op
}

/// A client and server side of a handshake on listener `l`.
async fn tls_pair(d: &mut Driver, l: Id, host: &str, port: u16, sni: &str) -> (Id, Id) {
    let a = start_accept(d, l);
    let c = connect(d, host, port, sni).await.expect("tls_connect");
    let s = socket(d.wait(a).await.expect("accept"));
    (c, s)
}

async fn echo_check(d: &mut Driver, c: Id, s: Id) {
    assert_eq!(d.send(c, b"hello").await.unwrap(), 5);
    assert_eq!(d.recv_exact(s, 5).await, b"hello");
    d.send(s, b"world").await.unwrap();
    assert_eq!(d.recv_exact(c, 5).await, b"world");
}

fn trusting(pki: &Pki) -> Driver {
    let d = Driver::new();
    assert_eq!(d.net.tls_trust(&pki.ca_pem).unwrap(), 1);
    d
}

#[test]
fn good_certificate_echo_kinds_and_addresses() {
    run(async {
        let pki = Pki::new();
        let mut d = trusting(&pki);
        let (l, port) = server(&d, "127.0.0.1", Some(&pki.good()));
        assert_eq!(d.net.kind(l), Some(SocketKind::TlsListener));
        // IP literal, empty sni: verified against the IP SAN.
        let (c, s) = tls_pair(&mut d, l, "127.0.0.1", port, "").await;
        assert_eq!(d.net.kind(c), Some(SocketKind::TlsStream));
        assert_eq!(d.net.kind(s), Some(SocketKind::TlsStream));
        assert_eq!(d.net.peer_addr(c).unwrap(), d.net.local_addr(s).unwrap());
        assert_eq!(d.net.local_addr(l).unwrap().port(), port);
        echo_check(&mut d, c, s).await;
        // sni "localhost" against the DNS SAN.
        let (c2, s2) = tls_pair(&mut d, l, "127.0.0.1", port, "localhost").await;
        echo_check(&mut d, c2, s2).await;
        assert_eq!(d.net.pending(), 0);
    });
}

#[test]
fn bad_certificates_are_rejected_with_the_cause_and_the_accept_keeps_waiting() {
    run(async {
        let pki = Pki::new();
        let mut d = trusting(&pki);
        let cases = [
            (pki.expired(), "", "certificate rejected: expired (notAfter 2020-01-01)"),
            (pki.self_signed(), "", "certificate rejected: self-signed"),
            (pki.other_ca(), "", "certificate rejected: unknown issuer"),
            (
                pki.good(),
                "wrong.example",
                "certificate rejected: not valid for name 'wrong.example' (valid for: localhost, 127.0.0.1)",
            ),
        ];
        for (ident, sni, want) in &cases {
            let (l, port) = server(&d, "127.0.0.1", Some(ident));
            let a = start_accept(&mut d, l);
            let e = connect(&mut d, "127.0.0.1", port, sni).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::CertRejected, "{e}");
            assert_eq!(e.message, *want);
            d.idle(Duration::from_millis(50)).await;
            assert!(
                !d.is_done(a),
                "a rejected client must not complete the accept"
            );
            d.net.close(l);
            assert_eq!(d.wait(a).await.unwrap_err().kind, ErrorKind::Closed);
        }
    });
}

#[test]
fn ip_address_not_in_the_certificate_is_rejected() {
    run(async {
        let pki = Pki::new();
        let mut d = trusting(&pki);
        let (ident, _) = pki.signed("dnsonly", leaf_params(&["localhost"]));
        let (l, port) = server(&d, "127.0.0.1", Some(&ident));
        let _a = start_accept(&mut d, l);
        let e = connect(&mut d, "127.0.0.1", port, "").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::CertRejected);
        assert!(e.message.contains("not valid for name '127.0.0.1'"), "{e}");
        // The same certificate by name works.
        let c = connect(&mut d, "127.0.0.1", port, "localhost").await;
        assert!(c.is_ok(), "{c:?}");
    });
}

#[test]
fn untrusted_without_tls_trust() {
    run(async {
        let pki = Pki::new();
        let mut d = Driver::new();
        let (l, port) = server(&d, "127.0.0.1", Some(&pki.good()));
        let _a = start_accept(&mut d, l);
        let e = connect(&mut d, "127.0.0.1", port, "").await.unwrap_err();
        assert_eq!(e.message, "certificate rejected: unknown issuer");
    });
}

#[test]
fn development_certificate_is_trusted_in_process() {
    run(async {
        let mut d = Driver::new();
        let (l, port) = server(&d, "127.0.0.1", None);
        for host in ["localhost", "127.0.0.1"] {
            let (c, s) = tls_pair(&mut d, l, host, port, "").await;
            echo_check(&mut d, c, s).await;
        }
        let (c, s) = tls_pair(&mut d, l, "127.0.0.1", port, "kiwi.local").await;
        echo_check(&mut d, c, s).await;
        if ipv6_loopback_or_skip("development_certificate_is_trusted_in_process (its ::1 case)") {
            let (l6, port6) = server(&d, "::1", None);
            let (c, s) = tls_pair(&mut d, l6, "::1", port6, "").await;
            echo_check(&mut d, c, s).await;
        }
    });
}

/// Minimal DER walk: (tag, contents, rest).
fn tlv(b: &[u8]) -> (u8, &[u8], &[u8]) {
    let (len, hdr) = match b[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 => (b[2] as usize, 3),
        0x82 => (((b[2] as usize) << 8) | b[3] as usize, 4),
        _ => panic!("DER length too long"),
    };
    (b[0], &b[hdr..hdr + len], &b[hdr + len..])
}

fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &x| (acc << 8) | x as u32) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn pem(label: &str, der: &[u8]) -> String {
    let b = base64(der);
    let lines: Vec<&str> = b
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[test]
fn key_formats_pkcs8_sec1_and_rsa() {
    run(async {
        let pki = Pki::new();
        let mut d = trusting(&pki);
        // PKCS#8 (rcgen's format).
        let (pkcs8, key) = pki.signed("p8", leaf_params(&["localhost"]));
        assert!(std::fs::read_to_string(&pkcs8.key)
            .unwrap()
            .contains("BEGIN PRIVATE KEY"));
        // SEC1: the ECPrivateKey inside the PKCS#8 envelope.
        let der = key.serialize_der();
        let (_, outer, _) = tlv(&der);
        let (_, _, rest) = tlv(outer); // version
        let (_, _, rest) = tlv(rest); // algorithm
        let (tag, sec1, _) = tlv(rest);
        assert_eq!(tag, 0x04);
        let sec1_key = pki.dir.write("sec1.key", pem("EC PRIVATE KEY", sec1));
        let mut idents = vec![
            ("pkcs8", pkcs8.cert.clone(), pkcs8.key.clone()),
            ("sec1", pkcs8.cert.clone(), sec1_key),
        ];
        if tool_or_skip(
            "openssl",
            "key_formats_pkcs8_sec1_and_rsa (its RSA PKCS#1 key)",
        ) {
            // RSA PKCS#1: ring cannot generate RSA keys, so openssl makes one.
            let p8 = pki.dir.0.join("rsa8.key");
            let p1 = pki.dir.0.join("rsa1.key");
            let ok = Command::new("openssl")
                .args([
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                    "-out",
                ])
                .arg(&p8)
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success()
                && Command::new("openssl")
                    .args(["pkey", "-traditional", "-in"])
                    .arg(&p8)
                    .arg("-out")
                    .arg(&p1)
                    .status()
                    .unwrap()
                    .success();
            assert!(ok, "openssl key generation");
            assert!(std::fs::read_to_string(&p1)
                .unwrap()
                .contains("BEGIN RSA PRIVATE KEY"));
            let rsa = KeyPair::from_pem(&std::fs::read_to_string(&p8).unwrap()).unwrap();
            let cert = leaf_params(&["localhost"])
                .signed_by(&rsa, &pki.issuer)
                .unwrap();
            let c = pki.dir.write("rsa.crt", cert.pem());
            idents.push(("rsa", c, p1));
        }
        for (what, cert, key) in idents {
            let l = d
                .net
                .tls_server("127.0.0.1", 0, 16, false, Some((&cert, &key)))
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let port = d.net.local_addr(l).unwrap().port();
            let (c, s) = tls_pair(&mut d, l, "127.0.0.1", port, "localhost").await;
            echo_check(&mut d, c, s).await;
        }
    });
}

#[test]
fn bad_identity_files_are_clear_errors() {
    run(async {
        let pki = Pki::new();
        let d = Driver::new();
        let good = pki.good();
        let other = pki.other_ca();
        let missing = pki.dir.0.join("missing.pem");
        let garbage = pki.dir.write("garbage.pem", "this is not PEM at all\n");
        let check = |cert: &Path, key: &Path, want: String| {
            let e = d
                .net
                .tls_server("127.0.0.1", 0, 1, false, Some((cert, key)))
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{e}");
            assert_eq!(e.message, want);
        };
        let m = missing.display();
        let g = garbage.display();
        check(
            &good.cert,
            &missing,
            format!("cannot read key file {m}: No such file or directory"),
        );
        check(
            &missing,
            &good.key,
            format!("cannot read certificate file {m}: No such file or directory"),
        );
        check(
            &garbage,
            &good.key,
            format!("{g} contains no PEM certificate"),
        );
        check(
            &good.cert,
            &garbage,
            format!("{g} contains no PEM private key (PKCS#8, RSA or EC)"),
        );
        check(
            &good.cert,
            &other.key,
            format!(
                "key {} does not match certificate {}",
                other.key.display(),
                good.cert.display()
            ),
        );
        let e = d.net.tls_trust(&garbage).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
    });
}

#[test]
fn recv_respects_max_bytes_exactly() {
    run(async {
        let mut d = Driver::new();
        let (l, port) = server(&d, "127.0.0.1", None);
        let (c, s) = tls_pair(&mut d, l, "127.0.0.1", port, "").await;
        let data: Vec<u8> = (0..10 * 1024).map(|i| (i % 251) as u8).collect();
        d.send(c, &data).await.unwrap();
        let mut got = Vec::new();
        while got.len() < data.len() {
            let chunk = d.recv(s, 100).await.unwrap();
            assert!(!chunk.is_empty() && chunk.len() <= 100, "{}", chunk.len());
            got.extend_from_slice(&chunk);
        }
        assert_eq!(got, data);
    });
}

#[test]
fn sixteen_mib_both_directions_intact() {
    run(async {
        let mut d = Driver::new();
        let (l, port) = server(&d, "127.0.0.1", None);
        let (c, s) = tls_pair(&mut d, l, "127.0.0.1", port, "").await;
        let n = 16 << 20;
        let a: Vec<u8> = (0..n).map(|i| (i * 7 % 253) as u8).collect();
        let b: Vec<u8> = (0..n).map(|i| (i * 13 % 241) as u8).collect();
        let (sa, sb) = (d.op(), d.op());
        let nowa = d.net.send(sa, c, &a);
        let nowb = d.net.send(sb, s, &b);
        let mut got_s = Vec::new();
        let mut got_c = Vec::new();
        while got_s.len() < n || got_c.len() < n {
            for (sock, got) in [(s, &mut got_s), (c, &mut got_c)] {
                if got.len() < n {
                    let chunk = d.recv(sock, 1 << 20).await.unwrap();
                    assert!(!chunk.is_empty());
                    got.extend_from_slice(&chunk);
                }
            }
        }
        assert_eq!(d.finish(sa, nowa).await.unwrap(), kiwi_net::Done::Sent(n));
        assert_eq!(d.finish(sb, nowb).await.unwrap(), kiwi_net::Done::Sent(n));
        assert!(got_s == a, "client to server data differs");
        assert!(got_c == b, "server to client data differs");
    });
}

#[test]
fn close_notify_and_shutdown_read_as_end_of_stream() {
    run(async {
        let mut d = Driver::new();
        let (l, port) = server(&d, "127.0.0.1", None);
        let (c, s) = tls_pair(&mut d, l, "127.0.0.1", port, "").await;
        // Half close: the server reads end of stream, then still sends to the client.
        d.send(c, b"last").await.unwrap();
        d.net.shutdown(c).unwrap();
        assert_eq!(d.recv_exact(s, 4).await, b"last");
        assert_eq!(d.recv(s, 10).await.unwrap(), b"");
        let e = d.send(c, b"more").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Closed);
        d.send(s, b"reply").await.unwrap();
        assert_eq!(d.recv_exact(c, 5).await, b"reply");
        // close sends close_notify: end of stream, twice.
        d.net.close(s);
        assert_eq!(d.recv(c, 10).await.unwrap(), b"");
        assert_eq!(d.recv(c, 10).await.unwrap(), b"");
    });
}

#[test]
fn close_faults_pending_operations() {
    run(async {
        let mut d = Driver::new();
        let (l, port) = server(&d, "127.0.0.1", None);
        let (c, _s) = tls_pair(&mut d, l, "127.0.0.1", port, "").await;
        let (r1, r2) = (d.op(), d.op());
        assert!(d.net.recv(r1, c, 10).is_none());
        assert!(d.net.recv(r2, c, 10).is_none());
        let a = start_accept(&mut d, l);
        d.net.close(c);
        d.net.close(l);
        for op in [r1, r2, a] {
            assert_eq!(d.wait(op).await.unwrap_err().kind, ErrorKind::Closed);
        }
        assert_eq!(d.net.kind(c), None);
        assert_eq!(
            d.net.recv(d.op(), c, 1).unwrap().unwrap_err().kind,
            ErrorKind::InvalidId
        );
        assert_eq!(d.net.pending(), 0);
    });
}

/// A rustls client over a std socket (in its own thread), for what `Net` cannot do itself.
fn std_client(
    port: u16,
    ca: &Path,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::StreamOwned<rustls::ClientConnection, StdStream> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(cfg), "localhost".try_into().unwrap()).unwrap();
    let tcp = StdStream::connect(("127.0.0.1", port)).unwrap();
    rustls::StreamOwned::new(conn, tcp)
}

#[test]
fn tls12_client_and_abrupt_eof() {
    run(async {
        let pki = Pki::new();
        let mut d = Driver::new();
        let (l, port) = server(&d, "127.0.0.1", Some(&pki.good()));
        let ca = pki.ca_pem.clone();
        let a = start_accept(&mut d, l);
        let t = std::thread::spawn(move || {
            let mut s = std_client(port, &ca, &[&rustls::version::TLS12]);
            s.write_all(b"ping").unwrap();
            let mut buf = [0; 4];
            s.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"pong");
            assert_eq!(
                s.conn.protocol_version(),
                Some(rustls::ProtocolVersion::TLSv1_2)
            );
            // Abrupt end: TCP FIN without close_notify.
            s.sock.shutdown(Shutdown::Both).unwrap();
        });
        let sv = socket(d.wait(a).await.unwrap());
        assert_eq!(d.recv_exact(sv, 4).await, b"ping");
        d.send(sv, b"pong").await.unwrap();
        assert_eq!(
            d.recv(sv, 10).await.unwrap(),
            b"",
            "truncation reads as end of stream"
        );
        t.join().unwrap();
    });
}

#[test]
fn bad_clients_never_fault_the_accept() {
    run(async {
        let mut d = Driver::new();
        d.net.set_tls_handshake_timeout(Duration::from_millis(300));
        let (l, port) = server(&d, "127.0.0.1", None);
        let a = start_accept(&mut d, l);
        // Plain text instead of a ClientHello.
        let mut junk = StdStream::connect(("127.0.0.1", port)).unwrap();
        junk.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        // A client that never says anything.
        let mut stalled = StdStream::connect(("127.0.0.1", port)).unwrap();
        // Half a ClientHello record header, then a reset.
        let reset = StdStream::connect(("127.0.0.1", port)).unwrap();
        (&reset).write_all(&[0x16, 0x03, 0x01]).unwrap();
        socket2::SockRef::from(&reset)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        d.idle(Duration::from_millis(50)).await;
        drop(reset);
        d.idle(Duration::from_millis(100)).await;
        assert!(!d.is_done(a));
        // The stalled client is dropped after the (shortened) deadline: it reads EOF.
        d.idle(Duration::from_millis(500)).await;
        assert!(!d.is_done(a));
        stalled
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0; 16];
        assert_eq!(
            stalled.read(&mut buf).unwrap(),
            0,
            "stalled client was not dropped"
        );
        let (rest, _) = read_until_closed(&junk, Duration::from_secs(5));
        assert_alert_or_nothing("plain-text client", &rest);
        // A good client is still accepted by the same accept.
        let c = connect(&mut d, "localhost", port, "").await.unwrap();
        let s = socket(d.wait(a).await.unwrap());
        echo_check(&mut d, c, s).await;
    });
}

#[test]
fn many_concurrent_handshakes() {
    run(async {
        let mut d = Driver::new();
        let (l, port) = server(&d, "127.0.0.1", None);
        let n = 50;
        let accepts: Vec<Id> = (0..n).map(|_| start_accept(&mut d, l)).collect();
        let connects: Vec<Id> = (0..n)
            .map(|_| {
                let op = d.op();
                d.net.tls_connect(op, "127.0.0.1", port, "");
                op
            })
            .collect();
        let mut clients = Vec::new();
        for op in connects {
            clients.push(socket(d.wait(op).await.unwrap()));
        }
        let mut servers = Vec::new();
        for op in accepts {
            servers.push(socket(d.wait(op).await.unwrap()));
        }
        for c in &clients {
            d.send(*c, b"hi").await.unwrap();
        }
        for s in &servers {
            assert_eq!(d.recv_exact(*s, 2).await, b"hi");
        }
    });
}

#[test]
fn connect_errors_have_the_right_kinds() {
    run(async {
        let mut d = Driver::new();
        let e = connect(&mut d, "no-such-host.invalid", 443, "")
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Resolve);
        // A closed port: TCP connect fails.
        let closed = ClosedPort::new();
        let e = connect(&mut d, "127.0.0.1", closed.port, "")
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Refused, "{e}");
        // A plain TCP server that answers with text: a protocol failure.
        let (tcp, addr) = d.server("127.0.0.1");
        let op = d.op();
        d.net.tls_connect(op, "127.0.0.1", addr.port(), "");
        let s = d.accept(tcp).await.unwrap();
        d.send(s, b"HTTP/1.1 400 Bad Request\r\n\r\n")
            .await
            .unwrap();
        let e = d.wait(op).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Tls, "{e}");
        assert!(e.message.contains("non-TLS data"), "{e}");
        assert!(e
            .message
            .starts_with(&format!("TLS handshake with 127.0.0.1:{}", addr.port())));
        // A server that accepts TCP and closes: handshake failed, not a certificate problem.
        let op = d.op();
        d.net.tls_connect(op, "127.0.0.1", addr.port(), "");
        let s = d.accept(tcp).await.unwrap();
        d.net.close(s);
        let e = d.wait(op).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Tls, "{e}");
    });
}

/// Starts `openssl s_server -www` on 127.0.0.1 port 0 and reads the port it bound from its
/// `ACCEPT host:port` line.
fn s_server_www(version: &str, id: &Identity) -> (Child, u16) {
    let mut child = Child(
        Command::new("openssl")
            .args(["s_server", "-www", version, "-accept", "127.0.0.1:0"])
            .arg("-cert")
            .arg(&id.cert)
            .arg("-key")
            .arg(&id.key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = line.strip_prefix("ACCEPT ") {
                let _ = tx.send(addr.rsplit(':').next().and_then(|p| p.parse().ok()));
                break;
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("s_server did not say ACCEPT within 30 s")
        .expect("a port in s_server's ACCEPT line");
    (child, port)
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn interop_with_openssl_s_server_and_s_client() {
    if !tool_or_skip("openssl", "interop_with_openssl_s_server_and_s_client") {
        return;
    }
    run(async {
        let pki = Pki::new();
        let good = pki.good();
        let mut d = trusting(&pki);
        // Our client against openssl s_server, TLS 1.3 and TLS 1.2.
        for version in ["-tls1_3", "-tls1_2"] {
            let (_srv, port) = s_server_www(version, &good);
            let c = connect(&mut d, "127.0.0.1", port, "localhost")
                .await
                .expect("handshake with s_server");
            d.send(c, b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
            let mut page = Vec::new();
            loop {
                let chunk = d.recv(c, 4096).await.unwrap();
                if chunk.is_empty() {
                    break;
                }
                page.extend_from_slice(&chunk);
            }
            let page = String::from_utf8_lossy(&page);
            assert!(page.starts_with("HTTP/1.0 200 ok"), "{version}: {page}");
            let want = if version == "-tls1_3" {
                "TLSv1.3"
            } else {
                "TLSv1.2"
            };
            assert!(page.contains(want), "{version}: {page}");
        }
        // openssl s_client against our server (echo once, then close).
        let (l, port) = server(&d, "127.0.0.1", Some(&good));
        let a = start_accept(&mut d, l);
        let ca = pki.ca_pem.clone();
        let client = std::thread::spawn(move || {
            let mut child = Command::new("openssl")
                .args(["s_client", "-quiet", "-ign_eof", "-verify_return_error"])
                .args([
                    "-connect",
                    &format!("127.0.0.1:{port}"),
                    "-servername",
                    "localhost",
                ])
                .arg("-CAfile")
                .arg(&ca)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"hello from openssl\n")
                .unwrap();
            let out = child.wait_with_output().unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        });
        let s = socket(d.wait(a).await.unwrap());
        let got = d.recv_exact(s, 19).await;
        assert_eq!(got, b"hello from openssl\n");
        d.send(s, &got).await.unwrap();
        d.net.close(s);
        let out = tokio::task::spawn_blocking(move || client.join().unwrap())
            .await
            .unwrap();
        assert!(
            out.contains("hello from openssl"),
            "s_client printed {out:?}"
        );
    });
}
