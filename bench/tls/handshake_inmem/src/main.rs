//! `handshake-inmem`: full TLS 1.3 handshakes between a rustls client and a rustls
//! server entirely in memory (no sockets), timing only the server side, the way
//! rustls's own benchmark (`rustls-bench handshake`) measures its published
//! "server handshakes/s" figures.
//!
//! ```text
//! handshake-inmem [--provider ring|aws-lc-rs] [--key ecdsa|rsa] [--certs DIR] [-n N]
//! ```
//!
//! Configuration: TLS 1.3 only, cipher suite TLS13_AES_256_GCM_SHA384, key
//! exchange X25519 only, no client auth, no resumption (server: no session storage,
//! no tickets; client: `Resumption::disabled()`), so every handshake is a full one.
//! Certificates: `--certs DIR` loads `DIR/ca.pem`, `DIR/cert.pem`, `DIR/key.pem`
//! (as written by `bench/tls/gen_certs.sh DIR [ecdsa|rsa]`); without it an ECDSA
//! P-256 CA and server certificate are generated with rcgen at start-up (ring cannot
//! generate RSA keys, so `--key rsa` needs `--certs`).
//!
//! Timed (server side): `ServerConnection::new`, and every server `read_tls`,
//! `process_new_packets` and `write_tls`. Client calls are timed separately and
//! reported for information. Output: one line, `key=value` pairs.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::NoServerSessionStorage;
use rustls::{
    CipherSuite, ClientConfig, ClientConnection, NamedGroup, RootCertStore, ServerConfig,
    ServerConnection,
};

type Error = Box<dyn std::error::Error>;

struct Args {
    provider: String,
    key: String,
    certs: Option<PathBuf>,
    n: u32,
}

fn usage() -> ! {
    eprintln!(
        "usage: handshake-inmem [--provider ring|aws-lc-rs] [--key ecdsa|rsa] [--certs DIR] [-n N]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        provider: "ring".into(),
        key: "ecdsa".into(),
        certs: None,
        n: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--provider" => args.provider = value,
            "--key" => args.key = value,
            "--certs" => args.certs = Some(value.into()),
            "-n" | "--n" => args.n = value.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    if args.n == 0 || !matches!(args.key.as_str(), "ecdsa" | "rsa") {
        usage();
    }
    args
}

/// The provider, cut down to TLS13_AES_256_GCM_SHA384 and X25519.
fn provider(name: &str) -> Result<CryptoProvider, Error> {
    let mut p = match name {
        "ring" => rustls::crypto::ring::default_provider(),
        #[cfg(feature = "aws-lc-rs")]
        "aws-lc-rs" => rustls::crypto::aws_lc_rs::default_provider(),
        #[cfg(not(feature = "aws-lc-rs"))]
        "aws-lc-rs" => return Err("built without the aws-lc-rs feature".into()),
        other => return Err(format!("unknown provider {other}").into()),
    };
    p.cipher_suites
        .retain(|s| s.suite() == CipherSuite::TLS13_AES_256_GCM_SHA384);
    p.kx_groups.retain(|g| g.name() == NamedGroup::X25519);
    if p.cipher_suites.len() != 1 || p.kx_groups.len() != 1 {
        return Err(format!("{name}: no TLS13_AES_256_GCM_SHA384 or no X25519").into());
    }
    Ok(p)
}

/// (CA certificate, server chain, server key).
type Certs = (
    CertificateDer<'static>,
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
);

fn load_certs(dir: &std::path::Path) -> Result<Certs, Error> {
    let ca = CertificateDer::from_pem_file(dir.join("ca.pem"))?;
    let chain = CertificateDer::pem_file_iter(dir.join("cert.pem"))?.collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem"))?;
    Ok((ca, chain, key))
}

fn generate_ecdsa() -> Result<Certs, Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        PKCS_ECDSA_P256_SHA256,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kiwi bench CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?)?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca)?;
    let key_der = PrivateKeyDer::try_from(key.serialize_der())?;
    Ok((ca.der().clone(), vec![cert.der().clone()], key_der))
}

fn configs(args: &Args) -> Result<(Arc<ServerConfig>, Arc<ClientConfig>), Error> {
    let (ca, chain, key) = match &args.certs {
        Some(dir) => load_certs(dir)?,
        None if args.key == "ecdsa" => generate_ecdsa()?,
        None => return Err("--key rsa needs --certs DIR (bench/tls/gen_certs.sh DIR rsa)".into()),
    };
    let p = Arc::new(provider(&args.provider)?);
    let mut server = ServerConfig::builder_with_provider(p.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    server.session_storage = Arc::new(NoServerSessionStorage {});
    server.send_tls13_tickets = 0;
    let mut roots = RootCertStore::empty();
    roots.add(ca)?;
    let mut client = ClientConfig::builder_with_provider(p)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = Resumption::disabled();
    Ok((Arc::new(server), Arc::new(client)))
}

/// One full handshake. Returns (server time, client time).
fn handshake(
    server_config: &Arc<ServerConfig>,
    client_config: &Arc<ClientConfig>,
    buf: &mut Vec<u8>,
) -> Result<(Duration, Duration), Error> {
    let name = ServerName::try_from("localhost")?;
    let t = Instant::now();
    let mut client = ClientConnection::new(client_config.clone(), name)?;
    let mut client_time = t.elapsed();
    let t = Instant::now();
    let mut server = ServerConnection::new(server_config.clone())?;
    let mut server_time = t.elapsed();
    for _round in 0..10 {
        // client -> server
        buf.clear();
        let t = Instant::now();
        while client.wants_write() {
            client.write_tls(buf)?;
        }
        client_time += t.elapsed();
        if !buf.is_empty() {
            let t = Instant::now();
            let mut rd: &[u8] = buf;
            while !rd.is_empty() {
                server.read_tls(&mut rd)?;
                server.process_new_packets()?;
            }
            server_time += t.elapsed();
        }
        // server -> client
        buf.clear();
        let t = Instant::now();
        while server.wants_write() {
            server.write_tls(buf)?;
        }
        server_time += t.elapsed();
        if !buf.is_empty() {
            let t = Instant::now();
            let mut rd: &[u8] = buf;
            while !rd.is_empty() {
                client.read_tls(&mut rd)?;
                client.process_new_packets()?;
            }
            client_time += t.elapsed();
        }
        if !client.is_handshaking() && !server.is_handshaking() {
            check(&client, &server)?;
            return Ok((server_time, client_time));
        }
    }
    Err("handshake did not complete in 10 flights".into())
}

fn check(client: &ClientConnection, server: &ServerConnection) -> Result<(), Error> {
    let suite = server.negotiated_cipher_suite().map(|s| s.suite());
    let group = server.negotiated_key_exchange_group().map(|g| g.name());
    if suite != Some(CipherSuite::TLS13_AES_256_GCM_SHA384)
        || group != Some(NamedGroup::X25519)
        || client.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3)
    {
        return Err(format!("negotiated {suite:?} {group:?}").into());
    }
    Ok(())
}

/// After the first handshake: one application-data round trip, so we know both
/// sides really have working keys.
fn sanity(
    server_config: &Arc<ServerConfig>,
    client_config: &Arc<ClientConfig>,
) -> Result<(), Error> {
    use std::io::Write;
    let mut client =
        ClientConnection::new(client_config.clone(), ServerName::try_from("localhost")?)?;
    let mut server = ServerConnection::new(server_config.clone())?;
    client.writer().write_all(b"ping")?;
    let mut buf = Vec::new();
    for _ in 0..10 {
        buf.clear();
        while client.wants_write() {
            client.write_tls(&mut buf)?;
        }
        let mut rd: &[u8] = &buf;
        while !rd.is_empty() {
            server.read_tls(&mut rd)?;
            server.process_new_packets()?;
        }
        let mut got = [0u8; 4];
        if !server.is_handshaking() && server.reader().read_exact(&mut got).is_ok() {
            if &got != b"ping" {
                return Err("application data corrupted".into());
            }
            return check(&client, &server);
        }
        buf.clear();
        while server.wants_write() {
            server.write_tls(&mut buf)?;
        }
        let mut rd: &[u8] = &buf;
        while !rd.is_empty() {
            client.read_tls(&mut rd)?;
            client.process_new_packets()?;
        }
    }
    Err("no application data after the handshake".into())
}

fn main() {
    let args = parse_args();
    if let Err(e) = run(&args) {
        eprintln!("handshake-inmem: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), Error> {
    let (server_config, client_config) = configs(args)?;
    sanity(&server_config, &client_config)?;
    let mut buf = Vec::with_capacity(1 << 16);
    // Warm-up: a few handshakes, not counted.
    for _ in 0..(args.n / 20).max(5) {
        handshake(&server_config, &client_config, &mut buf)?;
    }
    let (mut server_time, mut client_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..args.n {
        let (s, c) = handshake(&server_config, &client_config, &mut buf)?;
        server_time += s;
        client_time += c;
    }
    let n = f64::from(args.n);
    println!(
        "provider={} key={} handshakes={} server_secs={:.4} server_handshakes_per_sec={:.1} client_handshakes_per_sec={:.1} suite=TLS13_AES_256_GCM_SHA384 group=X25519",
        args.provider,
        args.key,
        args.n,
        server_time.as_secs_f64(),
        n / server_time.as_secs_f64(),
        n / client_time.as_secs_f64(),
    );
    Ok(())
}
