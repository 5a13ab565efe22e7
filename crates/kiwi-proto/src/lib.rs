//! The plain data that crosses between the interpreter (`kiwi-vm`, the packages) and the
//! network (`kiwi-net`) for protocol operations: what an HTTP request, a server's options, a
//! reply to a request and a mail hold, and the [`Record`] trees results come back as. Both
//! sides depend on this crate and on nothing of each other, so there is one definition of
//! each and no conversion between copies.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

/// One request a script makes.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// `GET`, `POST`, ... (any token).
    pub method: String,
    /// An absolute `http://` or `https://` URL.
    pub url: String,
    /// Request headers, in order (a name may repeat).
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// Overrides the client-wide timeout for this request.
    pub timeout: Option<Duration>,
    /// Stream the body into this file instead of returning it.
    pub download_to: Option<PathBuf>,
}

/// How a server is set up.
#[derive(Debug, Clone)]
pub struct HttpServeOptions {
    /// The address to bind ("" for all interfaces).
    pub host: String,
    /// The port (0 picks a free one).
    pub port: u16,
    /// The kernel's accept backlog.
    pub backlog: u32,
    /// SO_REUSEPORT, so several processes can serve one port.
    pub reuse_port: bool,
    /// Serve HTTPS: with `cert_key` (PEM files), else the development certificate.
    pub tls: bool,
    /// The certificate chain and key files for `tls`.
    pub cert_key: Option<(PathBuf, PathBuf)>,
    /// The largest request body accepted (larger: 413).
    pub max_body: usize,
    /// The largest request head (request line and headers) accepted (larger: 431).
    pub max_head: usize,
    /// How long a client may take to send a request head.
    pub header_timeout: Duration,
    /// How long a client may take to send a request body.
    pub body_timeout: Duration,
}

impl Default for HttpServeOptions {
    fn default() -> Self {
        HttpServeOptions {
            host: "127.0.0.1".into(),
            port: 0,
            backlog: 1024,
            reuse_port: false,
            tls: false,
            cert_key: None,
            max_body: 16 << 20,
            max_head: 64 << 10,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// A script's answer to one request.
#[derive(Debug, Clone, Default)]
pub struct HttpReply {
    /// The status code (100..=999).
    pub status: u16,
    /// A content type known at compile time (`application/json`, ...): sent without copying
    /// or checking it. Replies built by the httpserver package nearly always have one.
    pub content_type: Option<&'static str>,
    /// Headers, in order (a name may repeat, e.g. `Set-Cookie`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text (a local relay, tests).
    None,
    /// Plain connect, then STARTTLS, required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct SmtpMail {
    /// The server's host name (also the name its certificate must have).
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How to protect the connection.
    pub security: SmtpSecurity,
    /// AUTH credentials (none when the user name is empty).
    pub username: String,
    /// The password.
    pub password: String,
    /// The sender, `addr` or `Name <addr>`.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Copied recipients.
    pub cc: Vec<String>,
    /// Blind-copied recipients.
    pub bcc: Vec<String>,
    /// The subject line.
    pub subject: String,
    /// The body.
    pub body: String,
    /// Send the body as HTML instead of plain text.
    pub html: bool,
    /// How long the whole exchange may take.
    pub timeout: Duration,
}

/// A value with no behaviour: a response, a request, a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Nothing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// UTF-8 text.
    Str(String),
    /// Text fixed at compile time (an HTTP method or version, on every request's path): it
    /// costs no allocation here, and the interpreter shares one string value for each.
    Static(&'static str),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Record>),
    /// Named fields, in order. Names fixed at compile time (`"data"`, `"status"`) are
    /// borrowed, so a record of them allocates no names and the interpreter shares them.
    Map(Vec<(Cow<'static, str>, Record)>),
}

impl Record {
    /// A string record.
    pub fn str(s: impl Into<String>) -> Record {
        Record::Str(s.into())
    }

    /// `bytes` as text when they are UTF-8, else as bytes.
    pub fn text_or_bytes(bytes: Vec<u8>) -> Record {
        match String::from_utf8(bytes) {
            Ok(s) => Record::Str(s),
            Err(e) => Record::Bytes(e.into_bytes()),
        }
    }

    /// A map of string pairs.
    pub fn string_map(pairs: impl IntoIterator<Item = (String, String)>) -> Record {
        Record::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k), Record::Str(v)))
                .collect(),
        )
    }
}
