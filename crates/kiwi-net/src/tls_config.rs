//! TLS configuration: the trust set, the shared client configs, the process's development
//! identity, and loading PEM certificates and keys for servers.
//!
//! rustls configs are immutable and meant to be shared, and building one is not free (the
//! root store is parsed, the verifier built), so:
//! * the system roots are loaded once per process;
//! * the client config for "system roots + development CA" is built once per process and
//!   shared by every [`crate::Net`] that never called `tls_trust`;
//! * a `Net` with extra CAs builds its own config once and rebuilds it only when
//!   `tls_trust` adds CAs;
//! * the development identity (a CA plus a leaf it signed) is generated once per process.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::tls_verify::KiwiVerifier;
use crate::{ErrorKind, NetError};

/// The crypto provider: *ring* (builds without cmake or nasm).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The certificate and key a server presents when the script gives none.
pub(crate) struct DevIdentity {
    /// The development CA, trusted by every client of this process.
    pub ca: CertificateDer<'static>,
    /// The server config presenting the leaf (SANs localhost, kiwi.local, 127.0.0.1, ::1).
    pub server: Arc<ServerConfig>,
}

/// The process-wide development identity, generated on first use.
pub(crate) fn dev_identity() -> &'static DevIdentity {
    static DEV: OnceLock<DevIdentity> = OnceLock::new();
    DEV.get_or_init(|| make_dev_identity().expect("generating the development certificate"))
}

fn make_dev_identity() -> Result<DevIdentity, rcgen::Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(
        DnType::CommonName,
        "kiwi development CA (this process only)",
    );
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let names = ["localhost", "kiwi.local", "127.0.0.1", "::1"].map(String::from);
    let mut leaf = CertificateParams::new(names.to_vec())?;
    leaf.distinguished_name
        .push(DnType::CommonName, "kiwi.local");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;

    let key = PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let chain = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
    let server = server_config(chain, key).expect("the development key matches its certificate");
    Ok(DevIdentity {
        ca: ca_cert.der().clone(),
        server,
    })
}

/// The system trust store, loaded once. `rustls-native-certs` honours `SSL_CERT_FILE` and
/// `SSL_CERT_DIR`; an empty or unreadable store just means no system roots.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// Builds a client config trusting the system roots, the development CA and `extra`.
fn build_client_config(extra: &[CertificateDer<'static>]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(system_roots().iter().cloned());
    roots.add_parsable_certificates(extra.iter().cloned());
    // The development CA is always there, so the store is never empty.
    let _ = roots.add(dev_identity().ca.clone());
    let verifier = KiwiVerifier::new(Arc::new(roots), provider());
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Arc::new(config)
}

/// One `Net`'s trust set and its cached client config.
#[derive(Default)]
pub(crate) struct Trust {
    /// CAs added with `tls_trust`, on top of the system roots and the development CA.
    extra: Vec<CertificateDer<'static>>,
    /// Built on first connect, dropped when `extra` changes.
    config: Option<Arc<ClientConfig>>,
}

impl Trust {
    /// The client config for this trust set (built at most once per change).
    pub(crate) fn client_config(&mut self) -> Arc<ClientConfig> {
        static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
        if self.extra.is_empty() {
            return DEFAULT.get_or_init(|| build_client_config(&[])).clone();
        }
        self.config
            .get_or_insert_with(|| build_client_config(&self.extra))
            .clone()
    }

    /// Every trust anchor of this set, as DER (for clients that build their own TLS config
    /// from roots, such as the SMTP client).
    pub(crate) fn roots(&self) -> Vec<CertificateDer<'static>> {
        let mut all: Vec<CertificateDer<'static>> = system_roots().to_vec();
        all.extend(self.extra.iter().cloned());
        all.push(dev_identity().ca.clone());
        all
    }

    /// Adds every certificate of a PEM file; returns how many. A file without any
    /// certificate, or one whose certificates are not usable as trust anchors, is an error.
    pub(crate) fn add_pem(&mut self, path: &Path) -> Result<usize, NetError> {
        let certs = read_certs(path, "CA file")?;
        let mut store = RootCertStore::empty();
        let (ok, _) = store.add_parsable_certificates(certs.iter().cloned());
        if ok == 0 {
            return Err(invalid(format!(
                "{} contains no usable CA certificate",
                path.display()
            )));
        }
        self.extra.extend(certs);
        self.config = None;
        Ok(ok)
    }
}

fn invalid(message: String) -> NetError {
    NetError::new(ErrorKind::InvalidInput, message)
}

/// The OS reason without Rust's " (os error N)" suffix, for file errors people read.
fn reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, NetError> {
    std::fs::read(path).map_err(|e| {
        invalid(format!(
            "cannot read {what} {}: {}",
            path.display(),
            reason(&e)
        ))
    })
}

fn pem_error(path: &Path, e: pem::Error) -> NetError {
    invalid(format!("{} is not valid PEM: {e}", path.display()))
}

/// Every certificate in a PEM file (at least one).
fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let bytes = read_file(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, e))?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "{} contains no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// Whether PEM text holds a password-protected key (PKCS#8 `ENCRYPTED PRIVATE KEY`, or the
/// traditional OpenSSL `Proc-Type: 4,ENCRYPTED` header), which rustls cannot read.
fn is_encrypted_key(pem: &[u8]) -> bool {
    let has = |needle: &[u8]| pem.windows(needle.len()).any(|w| w == needle);
    has(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || has(b"Proc-Type: 4,ENCRYPTED")
}

/// The first private key (PKCS#8, PKCS#1 RSA or SEC1 EC) in a PEM file.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, NetError> {
    let bytes = read_file(path, "key file")?;
    if is_encrypted_key(&bytes) {
        return Err(invalid(format!(
            "{p} holds an encrypted (password-protected) private key; kiwi needs it \
             unencrypted (openssl pkey -in {p} -out plain.key)",
            p = path.display()
        )));
    }
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => invalid(format!(
            "{} contains no PEM private key (PKCS#8, RSA or EC)",
            path.display()
        )),
        e => pem_error(path, e),
    })
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// The server config for a PEM certificate chain and key. rustls checks that the key
/// belongs to the first certificate.
pub(crate) fn load_server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, NetError> {
    let chain = read_certs(cert, "certificate file")?;
    let key_der = read_key(key)?;
    if rustls::crypto::ring::sign::any_supported_type(&key_der).is_err() {
        return Err(invalid(format!(
            "cannot use the key in {}: {}",
            key.display(),
            unusable_key(&key_der)
        )));
    }
    server_config(chain, key_der).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => invalid(format!(
            "key {} does not match certificate {}",
            key.display(),
            cert.display()
        )),
        e => invalid(format!(
            "cannot use certificate {} with key {}: {e}",
            cert.display(),
            key.display()
        )),
    })
}

/// Why the crypto provider cannot sign with `key`, in words.
fn unusable_key(key: &PrivateKeyDer<'_>) -> String {
    let what = match rustls::crypto::ring::sign::RsaSigningKey::new(key) {
        Err(rustls::Error::General(m)) if m.ends_with("TooSmall") => {
            "it is an RSA key shorter than 2048 bits"
        }
        Err(rustls::Error::General(m)) if m.ends_with("TooLarge") => {
            "it is an RSA key longer than 8192 bits"
        }
        _ => "its key type or curve is not supported",
    };
    format!("{what} (usable: RSA of 2048 to 8192 bits, ECDSA P-256 or P-384, Ed25519)")
}
