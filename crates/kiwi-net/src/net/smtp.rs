//! Sending mail: lettre's SMTP client on the runtime (STARTTLS, implicit TLS, AUTH), in a
//! task that reports through the shared lists, with certificates checked against this
//! `Net`'s trust set (system roots, `tls::trust`, the development CA).

use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::Net;
use crate::{Done, ErrorKind, Id, NetError, Record, SmtpMail, SmtpSecurity};

fn invalid(m: String) -> NetError {
    NetError::new(ErrorKind::InvalidInput, m)
}

fn mailbox(addr: &str) -> Result<Mailbox, NetError> {
    addr.trim()
        .parse()
        .map_err(|e| invalid(format!("invalid mail address {addr:?}: {e}")))
}

fn build_message(mail: &SmtpMail) -> Result<Message, NetError> {
    let mut b = Message::builder()
        .from(mailbox(&mail.from)?)
        .subject(mail.subject.clone());
    if mail.to.is_empty() && mail.cc.is_empty() && mail.bcc.is_empty() {
        return Err(invalid("a message needs at least one recipient".into()));
    }
    for a in &mail.to {
        b = b.to(mailbox(a)?);
    }
    for a in &mail.cc {
        b = b.cc(mailbox(a)?);
    }
    for a in &mail.bcc {
        b = b.bcc(mailbox(a)?);
    }
    let kind = if mail.html {
        ContentType::TEXT_HTML
    } else {
        ContentType::TEXT_PLAIN
    };
    b.header(kind)
        .body(mail.body.clone())
        .map_err(|e| invalid(format!("cannot build the message: {e}")))
}

/// The error of a failed send: a rejected certificate like a TLS connect's, the server's
/// reply for a refusal, the OS reason for a connection failure.
fn send_error(peer: &str, e: &lettre::transport::smtp::Error) -> NetError {
    if let Some(tls) = super::http_client::tls_failure(peer, e) {
        return tls;
    }
    let kind = if e.is_timeout() {
        ErrorKind::TimedOut
    } else if e.is_permanent() || e.is_transient() {
        ErrorKind::Io
    } else {
        ErrorKind::Refused
    };
    NetError::new(
        kind,
        format!("SMTP {peer}: {}", super::http_client::chain(e)),
    )
}

async fn deliver(mail: SmtpMail, roots: Vec<Certificate>) -> Result<Done, NetError> {
    let message = build_message(&mail)?;
    let peer = format!("{}:{}", mail.host, mail.port);
    let tls = || -> Result<TlsParameters, NetError> {
        let mut b =
            TlsParameters::builder(mail.host.clone()).certificate_store(CertificateStore::None);
        for c in &roots {
            b = b.add_root_certificate(c.clone());
        }
        b.build_rustls()
            .map_err(|e| NetError::new(ErrorKind::Tls, format!("SMTP {peer}: {e}")))
    };
    let tls = match mail.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::StartTls => Tls::Required(tls()?),
        SmtpSecurity::Implicit => Tls::Wrapper(tls()?),
    };
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(mail.host.clone())
        .port(mail.port)
        .tls(tls)
        .timeout(Some(mail.timeout));
    if !mail.username.is_empty() {
        b = b.credentials(Credentials::new(
            mail.username.clone(),
            mail.password.clone(),
        ));
    }
    let transport = b.build();
    let reply = tokio::time::timeout(mail.timeout, transport.send(message))
        .await
        .map_err(|_| NetError::new(ErrorKind::TimedOut, format!("SMTP {peer}: timed out")))?
        .map_err(|e| send_error(&peer, &e))?;
    let text: Vec<String> = reply.message().map(str::to_owned).collect();
    Ok(Done::Record(Record::Map(vec![
        ("ok".into(), Record::Bool(reply.is_positive())),
        (
            "code".into(),
            Record::Int(i64::from(u16::from(reply.code()))),
        ),
        ("message".into(), Record::Str(text.join("\n"))),
    ])))
}

impl Net {
    /// Sends `mail`; completes with [`Done::Record`] `{ok, code, message}` (the server's
    /// final reply) or an error (refused, rejected certificate, refused recipient...).
    pub fn smtp_send(&self, op: Id, mail: SmtpMail) {
        let task = self.spawn_op(op, |st| {
            let roots: Vec<Certificate> = st
                .trust
                .roots()
                .into_iter()
                .map(|der| Certificate::from_der(der.to_vec()))
                .filter_map(Result::ok)
                .collect();
            Ok(deliver(mail, roots))
        });
        // Not tracked: a mail in flight is finished even if every socket closes.
        drop(task);
    }
}
