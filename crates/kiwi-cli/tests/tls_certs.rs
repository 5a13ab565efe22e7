//! Certificate verification end to end: certificates made at test time with the `openssl`
//! CLI (a CA, a good server certificate, an expired one, one for the wrong name, a
//! self-signed one, one from an untrusted CA), each served by `examples/tls_echo_server.kiwi`
//! in its own process, and a kiwi client script that trusts the CA (with `tls::trust` or
//! `SSL_CERT_FILE`) and connects. Bad certificates must give -4 with a `tls::last_error()`
//! naming the cause; good ones must echo.
//!
//! `cargo test -p kiwi-cli --test tls_certs -- --nocapture` prints the table.

mod util;

use std::time::Duration;

use util::{kiwi, run, run_ok, tls_echo_server, Pki, TempDir};

/// Args: HOST PORT SNI CAFILE ("-" for none). Prints `code=N`, then `reason=...` on failure
/// or `echo=...` on success.
const CLIENT: &str = r#"
args = env::args()
host = args[0]
port = args[1].to_integer()
sni = args[2] == "-" ? "" : args[2]
tls::trust(args[3]) when args[3] != "-"
sock = tls::tcpconnect(host, port, sni)
println "code=${sock < 0 ? sock : "ok"}"
if sock < 0
  println "reason=${tls::last_error()}"
else
  task::await(tls::send(sock, "ping over verified tls".to_bytes()))
  got = ""
  while got.size() < 22 do
    part = task::await(tls::recv(sock))
    break when part.size() == 0
    got += part.to_string()
  end
  println "echo=${got}"
  tls::close(sock)
end
"#;

/// How one connection attempt turned out.
#[derive(Debug)]
struct Outcome {
    code: String,
    detail: String,
}

/// Runs the client script against 127.0.0.1-ish `host`:`port`.
fn connect(
    dir: &TempDir,
    host: &str,
    port: u16,
    sni: &str,
    ca: Option<&str>,
    env: Option<(&str, &str)>,
) -> Outcome {
    let script = dir.0.join("client.kiwi");
    if !script.exists() {
        dir.file("client.kiwi", CLIENT);
    }
    let mut cmd = kiwi();
    cmd.arg(&script)
        .args([
            host,
            &port.to_string(),
            if sni.is_empty() { "-" } else { sni },
        ])
        .arg(ca.unwrap_or("-"))
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    if let Some((name, value)) = env {
        cmd.env(name, value);
    }
    let o = run("kiwi tls client", &mut cmd, b"", Duration::from_secs(60));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "client failed ({}): {}\nstdout: {out}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let mut lines = out.lines();
    let code = lines
        .next()
        .and_then(|l| l.strip_prefix("code="))
        .unwrap_or_else(|| panic!("unexpected client output: {out:?}"))
        .to_string();
    let detail = lines.next().unwrap_or("").to_string();
    Outcome { code, detail }
}

struct Case {
    /// Certificate file stem (served as NAME.pem / NAME.key).
    cert: &'static str,
    host: &'static str,
    sni: &'static str,
    /// How the client trusts the CA: `tls::trust`, `SSL_CERT_FILE`, or not at all.
    trust: Trust,
    /// `"ok"` or the negative code.
    code: &'static str,
    /// For failures: words `tls::last_error()` must contain.
    reason: &'static str,
}

fn c(
    cert: &'static str,
    host: &'static str,
    sni: &'static str,
    trust: Trust,
    code: &'static str,
    reason: &'static str,
) -> Case {
    Case {
        cert,
        host,
        sni,
        trust,
        code,
        reason,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Trust {
    Call,
    EnvFile,
    EnvDir,
    Nothing,
}

impl Trust {
    fn label(self) -> &'static str {
        match self {
            Trust::Call => "tls::trust(ca.pem)",
            Trust::EnvFile => "SSL_CERT_FILE=ca.pem",
            Trust::EnvDir => "SSL_CERT_DIR=dir with ca.pem",
            Trust::Nothing => "(no CA)",
        }
    }
}

#[test]
fn rejection_table() {
    let pki = Pki::new("certs");
    let local = "DNS:localhost,IP:127.0.0.1";
    pki.leaf("good", local, "ca", None, false);
    pki.leaf(
        "expired",
        local,
        "ca",
        Some(("20200101000000Z", "20210101000000Z")),
        false,
    );
    pki.leaf(
        "not-yet-valid",
        local,
        "ca",
        Some(("20990101000000Z", "20991231000000Z")),
        false,
    );
    pki.leaf("wrong-name", "DNS:wrong.example", "ca", None, false);
    pki.self_signed("self-signed", local);
    pki.leaf("untrusted-ca", local, "other-ca", None, false);
    // A chain through an intermediate that is not a CA (CA:FALSE), served with the leaf.
    pki.leaf("not-a-ca", "DNS:intermediate.example", "ca", None, false);
    pki.leaf("via-not-a-ca-leaf", local, "not-a-ca", None, false);
    let chain = [pki.path("via-not-a-ca-leaf.pem"), pki.path("not-a-ca.pem")]
        .map(|p| std::fs::read_to_string(p).unwrap())
        .concat();
    std::fs::write(pki.path("via-not-a-ca.pem"), chain).unwrap();
    std::fs::copy(
        pki.path("via-not-a-ca-leaf.key"),
        pki.path("via-not-a-ca.key"),
    )
    .unwrap();

    use Trust::{Call, EnvDir, EnvFile, Nothing};
    #[rustfmt::skip]
    let cases = [
        c("good", "127.0.0.1", "", Call, "ok", ""),
        c("good", "localhost", "", Call, "ok", ""),
        c("good", "127.0.0.1", "localhost", Call, "ok", ""),
        c("good", "127.0.0.1", "", EnvFile, "ok", ""),
        c("good", "localhost", "", EnvDir, "ok", ""),
        c("good", "127.0.0.1", "", Nothing, "-4", "unknown issuer"),
        c("good", "127.0.0.1", "kiwi.local", Call, "-4", "not valid for name 'kiwi.local'"),
        c("expired", "127.0.0.1", "", Call, "-4", "expired"),
        c("not-yet-valid", "127.0.0.1", "", Call, "-4", "not yet valid"),
        c("wrong-name", "127.0.0.1", "", Call, "-4", "not valid for name '127.0.0.1'"),
        c("wrong-name", "127.0.0.1", "localhost", Call, "-4", "not valid for name 'localhost'"),
        c("self-signed", "127.0.0.1", "", Call, "-4", "self-signed"),
        c("untrusted-ca", "127.0.0.1", "", Call, "-4", "unknown issuer"),
        c("untrusted-ca", "127.0.0.1", "", EnvFile, "-4", "unknown issuer"),
        c("via-not-a-ca", "127.0.0.1", "", Call, "-4", "intermediate certificate that is not a CA"),
    ];

    let ca = pki.p("ca.pem");
    let ca_dir = pki.path("trusted");
    std::fs::create_dir_all(&ca_dir).unwrap();
    std::fs::copy(pki.path("ca.pem"), ca_dir.join("ca.pem")).unwrap();
    let ca_dir = ca_dir.to_string_lossy().into_owned();
    let mut servers = std::collections::HashMap::new();
    let mut table = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        let (server, port) = servers.entry(case.cert).or_insert_with(|| {
            tls_echo_server(
                &pki.path(&format!("{}.pem", case.cert)),
                &pki.path(&format!("{}.key", case.cert)),
            )
        });
        let got = connect(
            &pki.dir,
            case.host,
            *port,
            case.sni,
            (case.trust == Trust::Call).then_some(ca.as_str()),
            match case.trust {
                Trust::EnvFile => Some(("SSL_CERT_FILE", ca.as_str())),
                Trust::EnvDir => Some(("SSL_CERT_DIR", ca_dir.as_str())),
                _ => None,
            },
        );
        let ok = if case.code == "ok" {
            got.code == "ok" && got.detail == "echo=ping over verified tls"
        } else {
            got.code == case.code
                && got
                    .detail
                    .strip_prefix("reason=")
                    .is_some_and(|r| r.contains(case.reason))
        };
        let target = if case.sni.is_empty() {
            case.host.to_string()
        } else {
            format!("{} (sni {})", case.host, case.sni)
        };
        table.push(format!(
            "| {} | {} | {} | {} | {} |",
            case.cert,
            target,
            case.trust.label(),
            got.code,
            got.detail
                .strip_prefix("reason=")
                .or(got.detail.strip_prefix("echo="))
                .unwrap_or(&got.detail)
        ));
        if !ok {
            failures.push(format!(
                "{} via {target} with {}: expected {} {:?}, got {got:?}",
                case.cert,
                case.trust.label(),
                case.code,
                case.reason
            ));
        }
        assert!(server.exited().is_none(), "{} server died", case.cert);
    }
    println!("| certificate | connect to | trust | code | last_error / echo |");
    println!("|---|---|---|---|---|");
    for row in &table {
        println!("{row}");
    }
    // A rejected handshake never reaches the server's accept, so its script saw no errors.
    for (name, (server, _)) in &servers {
        assert_eq!(server.stderr(), "", "{name} server stderr");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Keys in each PEM format a server accepts (PKCS#8, PKCS#1 RSA, SEC1 EC) work; a key that
/// does not belong to the certificate, a missing file, or a certificate file without a
/// certificate is a SystemError naming the file and the problem.
#[test]
fn server_key_formats_and_bad_files() {
    let pki = Pki::new("keys");
    let local = "DNS:localhost,IP:127.0.0.1";
    pki.leaf("ec", local, "ca", None, false);
    pki.leaf("rsa", local, "ca", None, true);
    // The same keys re-encoded: SEC1 ("EC PRIVATE KEY") and PKCS#1 ("RSA PRIVATE KEY").
    util::openssl(&pki.dir.0, &["ec", "-in", "ec.key", "-out", "ec-sec1.key"]);
    util::openssl(
        &pki.dir.0,
        &[
            "rsa",
            "-in",
            "rsa.key",
            "-traditional",
            "-out",
            "rsa-pkcs1.key",
        ],
    );
    // Password-protected keys (PKCS#8 and the traditional OpenSSL form), and an RSA key
    // too short for rustls.
    util::openssl(
        &pki.dir.0,
        &[
            "pkey",
            "-in",
            "ec.key",
            "-aes256",
            "-passout",
            "pass:secret",
            "-out",
            "ec-enc.key",
        ],
    );
    util::openssl(
        &pki.dir.0,
        &[
            "rsa",
            "-in",
            "rsa.key",
            "-traditional",
            "-aes256",
            "-passout",
            "pass:secret",
            "-out",
            "rsa-enc.key",
        ],
    );
    util::openssl(
        &pki.dir.0,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:1024",
            "-nodes",
            "-keyout",
            "rsa1024.key",
            "-out",
            "rsa1024.pem",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ],
    );
    let sec1 = std::fs::read_to_string(pki.path("ec-sec1.key")).unwrap();
    assert!(sec1.contains("BEGIN EC PRIVATE KEY"), "{sec1}");
    let pkcs1 = std::fs::read_to_string(pki.path("rsa-pkcs1.key")).unwrap();
    assert!(pkcs1.contains("BEGIN RSA PRIVATE KEY"), "{pkcs1}");
    let pkcs8 = std::fs::read_to_string(pki.path("ec.key")).unwrap();
    assert!(pkcs8.contains("BEGIN PRIVATE KEY"), "{pkcs8}");

    let ca = pki.p("ca.pem");
    for (cert, key) in [
        ("ec.pem", "ec.key"),
        ("ec.pem", "ec-sec1.key"),
        ("rsa.pem", "rsa.key"),
        ("rsa.pem", "rsa-pkcs1.key"),
    ] {
        let (mut server, port) = tls_echo_server(&pki.path(cert), &pki.path(key));
        let got = connect(&pki.dir, "localhost", port, "", Some(&ca), None);
        assert_eq!(
            (got.code.as_str(), got.detail.as_str()),
            ("ok", "echo=ping over verified tls"),
            "{cert} with {key}; server stderr: {}",
            server.stderr()
        );
        server.kill();
    }

    // Files the server cannot use. The script prints the error type and message.
    let script = pki.dir.file(
        "server.kiwi",
        r#"
args = env::args()
try
  tls::tcpserver("127.0.0.1", 0, 128, args[0], args[1])
  println "listening?!"
catch e
  println e["error"]
  println e["message"]
end
"#,
    );
    let cases = [
        (
            "ec.pem",
            "rsa.key",
            vec!["rsa.key", "does not match", "ec.pem"],
        ),
        ("missing.pem", "ec.key", vec!["missing.pem", "No such file"]),
        ("ec.pem", "missing.key", vec!["missing.key", "No such file"]),
        ("ec.key", "ec.key", vec!["ec.key", "no PEM certificate"]),
        ("ec.pem", "ec.pem", vec!["ec.pem", "no PEM private key"]),
        (
            "ec.pem",
            "ec-enc.key",
            vec!["ec-enc.key", "encrypted (password-protected)"],
        ),
        (
            "rsa.pem",
            "rsa-enc.key",
            vec!["rsa-enc.key", "encrypted (password-protected)"],
        ),
        (
            "rsa1024.pem",
            "rsa1024.key",
            vec!["rsa1024.key", "RSA key shorter than 2048 bits"],
        ),
    ];
    for (cert, key, words) in cases {
        let out = run_ok(
            &format!("kiwi tls server ({cert}/{key})"),
            kiwi().arg(&script).arg(pki.path(cert)).arg(pki.path(key)),
            Duration::from_secs(30),
            String::new,
        );
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("SystemError"), "{cert}/{key}: {out}");
        let message = lines.next().unwrap_or("");
        println!("{cert} + {key}: {message}");
        for w in words {
            assert!(message.contains(w), "{cert}/{key}: {message:?} lacks {w:?}");
        }
    }
}

/// `tls::trust` returns how many certificates it added (a bundle of two counts two), and a
/// connection then verifies against any of them.
#[test]
fn trust_a_bundle() {
    let pki = Pki::new("bundle");
    pki.leaf(
        "second",
        "DNS:localhost,IP:127.0.0.1",
        "other-ca",
        None,
        false,
    );
    let bundle = format!(
        "{}{}",
        std::fs::read_to_string(pki.path("ca.pem")).unwrap(),
        std::fs::read_to_string(pki.path("other-ca.pem")).unwrap()
    );
    let bundle = pki.dir.file("bundle.pem", &bundle);
    let (_server, port) = tls_echo_server(&pki.path("second.pem"), &pki.path("second.key"));
    let script = pki.dir.file(
        "trust.kiwi",
        r#"
args = env::args()
println tls::trust(args[0])
sock = tls::tcpconnect("127.0.0.1", args[1].to_integer())
println sock > 0
"#,
    );
    let o = run(
        "kiwi trust",
        kiwi().arg(&script).arg(&bundle).arg(port.to_string()),
        b"",
        Duration::from_secs(30),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "2\ntrue\n");
}
