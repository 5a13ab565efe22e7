//! Server certificate verification, and turning rustls errors into [`NetError`]s that name
//! the cause.
//!
//! Verification itself is rustls's `WebPkiServerVerifier` (chain, validity period, name or
//! IP SAN, key usage). [`KiwiVerifier`] wraps it for one reason: webpki reports a
//! self-signed certificate as "unknown issuer", and a script author needs to know that the
//! server uses a self-signed certificate, not that some CA is missing.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, InvalidMessage, OtherError,
    RootCertStore, SignatureScheme,
};

use crate::{ErrorKind, NetError};

/// The reason attached to a rejection webpki does not have a variant for.
#[derive(Debug)]
struct Rejected(&'static str);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Rejected {}

/// webpki's verifier, plus self-signed detection.
#[derive(Debug)]
pub(crate) struct KiwiVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl KiwiVerifier {
    pub(crate) fn new(roots: Arc<RootCertStore>, provider: Arc<CryptoProvider>) -> KiwiVerifier {
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .expect("the root store holds at least the development CA");
        KiwiVerifier { inner }
    }
}

/// True if the certificate names itself as its issuer and the server sent no other
/// certificate of that name (an intermediate that happens to share the leaf's name is an
/// issuer, not a sign of self-signing). A CA-issued certificate never does (its issuer is
/// the CA's subject), so for a certificate that did not chain to a trusted root this is
/// what "self-signed" means in practice.
fn is_self_issued(cert: &CertificateDer<'_>, intermediates: &[CertificateDer<'_>]) -> bool {
    let Ok(c) = webpki::EndEntityCert::try_from(cert) else {
        return false;
    };
    let named_like_it = |other: &CertificateDer<'_>| {
        webpki::EndEntityCert::try_from(other).is_ok_and(|o| o.subject() == c.issuer())
    };
    c.issuer() == c.subject() && !intermediates.iter().any(named_like_it)
}

/// How webpki rejects a self-signed certificate: its issuer is not trusted, or (openssl's
/// `req -x509` marks it CA:TRUE) it is a CA certificate serving as a leaf.
fn unknown_issuer_or_ca_as_leaf(e: &CertificateError) -> bool {
    match e {
        CertificateError::UnknownIssuer => true,
        CertificateError::Other(o) => {
            matches!(o.0.downcast_ref(), Some(webpki::Error::CaUsedAsEndEntity))
        }
        _ => false,
    }
}

impl ServerCertVerifier for KiwiVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let r = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match r {
            Err(rustls::Error::InvalidCertificate(ref e))
                if unknown_issuer_or_ca_as_leaf(e) && is_self_issued(end_entity, intermediates) =>
            {
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    OtherError(Arc::new(Rejected("self-signed"))),
                )))
            }
            r => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time (Howard Hinnant's days-to-civil algorithm).
fn date(t: UnixTime) -> String {
    let days = (t.as_secs() / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// webpki's `DnsName("a")` / `IpAddress(1.2.3.4)` as plain `a` / `1.2.3.4` (IP addresses in
/// their usual short form, `::1` rather than webpki's `0::1`).
fn plain_name(presented: &str) -> String {
    if let Some(dns) = presented
        .strip_prefix("DnsName(\"")
        .and_then(|s| s.strip_suffix("\")"))
    {
        return dns.to_string();
    }
    match presented
        .strip_prefix("IpAddress(")
        .and_then(|s| s.strip_suffix(')'))
    {
        Some(ip) => ip
            .parse::<std::net::IpAddr>()
            .map_or_else(|_| ip.to_string(), |ip| ip.to_string()),
        None => presented.to_string(),
    }
}

/// Why a certificate was rejected, in a few words.
fn cert_reason(e: &CertificateError) -> String {
    use CertificateError as C;
    match e {
        C::Expired => "expired".into(),
        C::ExpiredContext { not_after, .. } => format!("expired (notAfter {})", date(*not_after)),
        C::NotValidYet => "not yet valid".into(),
        C::NotValidYetContext { not_before, .. } => {
            format!("not yet valid (notBefore {})", date(*not_before))
        }
        C::UnknownIssuer => "unknown issuer".into(),
        C::Revoked => "revoked".into(),
        C::BadSignature => "bad signature".into(),
        C::BadEncoding => "malformed certificate".into(),
        C::NotValidForName => "not valid for this name".into(),
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names: Vec<String> = presented.iter().map(|p| plain_name(p)).collect();
            let valid = if names.is_empty() {
                "no names".to_owned()
            } else {
                names.join(", ")
            };
            format!(
                "not valid for name '{}' (valid for: {valid})",
                expected.to_str()
            )
        }
        C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "signed with an algorithm its issuer's key cannot verify (a different certificate \
             of the issuer's name was found, or the algorithm is not supported)"
                .into()
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "not valid for server authentication".into()
        }
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(e) => webpki_reason(e),
            None => other.to_string(),
        },
        other => format!("{other:?}"),
    }
}

/// The webpki failures rustls has no variant for, in words.
fn webpki_reason(e: &webpki::Error) -> String {
    use webpki::Error as W;
    match e {
        W::EndEntityUsedAsCa => "the chain has an intermediate certificate that is not a CA \
                                 (basicConstraints CA:FALSE or missing), so it cannot have \
                                 issued the certificate below it"
            .into(),
        W::CaUsedAsEndEntity => "the server presented a CA certificate as its own".into(),
        W::PathLenConstraintViolated => "the chain is longer than a CA's pathLenConstraint \
                                         allows"
            .into(),
        W::NameConstraintViolation => "the name is outside a CA's name constraints".into(),
        W::UnsupportedCertVersion => "the certificate is not X.509 version 3".into(),
        W::UnsupportedCriticalExtension => "the certificate has a critical extension that \
                                            cannot be checked"
            .into(),
        W::MaximumPathDepthExceeded | W::MaximumPathBuildCallsExceeded => {
            "no chain to a trusted CA within the path-building limits".into()
        }
        other => format!("{other:?}"),
    }
}

/// The error for a client handshake with `peer` (`host:port`) that rustls ended with `e`:
/// kind [`ErrorKind::CertRejected`] for certificate problems, [`ErrorKind::Tls`] otherwise.
pub(crate) fn handshake_error(peer: &str, e: &rustls::Error) -> NetError {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(ce) => NetError::new(
            ErrorKind::CertRejected,
            format!("certificate rejected: {}", cert_reason(ce)),
        ),
        E::NoCertificatesPresented => NetError::new(
            ErrorKind::CertRejected,
            "certificate rejected: the server presented no certificate",
        ),
        e => NetError::new(
            ErrorKind::Tls,
            format!("TLS handshake with {peer} failed: {}", protocol_reason(e)),
        ),
    }
}

/// A non-certificate TLS failure, in words.
pub(crate) fn protocol_reason(e: &rustls::Error) -> String {
    use rustls::Error as E;
    match e {
        E::AlertReceived(AlertDescription::ProtocolVersion) => {
            "peer does not support TLS 1.2 or 1.3 (protocol version)".into()
        }
        E::AlertReceived(AlertDescription::HandshakeFailure) => {
            "the peer found no acceptable parameters (handshake failure alert)".into()
        }
        E::AlertReceived(a) => format!("the peer sent alert {a:?}"),
        E::InvalidMessage(
            InvalidMessage::InvalidContentType
            | InvalidMessage::UnknownProtocolVersion
            | InvalidMessage::MessageTooLarge,
        ) => "the peer sent non-TLS data".into(),
        E::InvalidMessage(m) => format!("malformed TLS message ({m:?})"),
        E::PeerIncompatible(p) => format!("peer is incompatible ({p:?})"),
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_names() {
        assert_eq!(
            date(UnixTime::since_unix_epoch(std::time::Duration::ZERO)),
            "1970-01-01"
        );
        let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_577_836_800));
        assert_eq!(date(t), "2020-01-01");
        let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(951_782_400));
        assert_eq!(date(t), "2000-02-29");
        assert_eq!(plain_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("IpAddress(0::1)"), "::1");
        assert_eq!(plain_name("URI"), "URI");
    }

    #[test]
    fn cert_errors_are_cert_rejected() {
        let e = handshake_error(
            "h:1",
            &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        assert_eq!(e.kind, ErrorKind::CertRejected);
        assert_eq!(e.message, "certificate rejected: unknown issuer");
        let e = handshake_error(
            "127.0.0.1:443",
            &rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
        );
        assert_eq!(e.kind, ErrorKind::Tls);
        assert_eq!(
            e.message,
            "TLS handshake with 127.0.0.1:443 failed: peer does not support TLS 1.2 or 1.3 (protocol version)"
        );
    }
}
