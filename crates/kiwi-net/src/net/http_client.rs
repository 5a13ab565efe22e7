//! The HTTP client side of [`Net`]: one pooled `reqwest` client per trust set, a tokio task
//! per request that reports through the shared lists like a connect.
//!
//! reqwest brings what a script's user expects of a mature client (keep-alive pooling, HTTP/2
//! by ALPN, bounded redirects, gzip, timeouts); it is given the same rustls config as
//! `tls::tcpconnect`, so certificates are verified by the same trust set (system roots,
//! `SSL_CERT_FILE`, `tls::trust`, the development CA) with the same one-line reasons.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;

use super::http_server::header_record;
use super::{Net, State};
use crate::tls_verify::handshake_error;
use crate::{Done, ErrorKind, HttpRequest, Id, NetError, Record};

/// The longest a request may take when the script set no timeout.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How many redirects a request follows before failing.
const MAX_REDIRECTS: usize = 10;

/// The client state of one `Net`.
pub(super) struct ClientState {
    /// The pooled client and the rustls config it was built with (rebuilt when the trust set
    /// changes, so `tls::trust` applies to later requests).
    client: Option<(reqwest::Client, Arc<ClientConfig>)>,
    /// The timeout of requests that set none.
    pub(super) timeout: Duration,
    /// Requests in flight (aborted when every socket closes).
    pub(super) tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Default for ClientState {
    fn default() -> Self {
        ClientState {
            client: None,
            timeout: DEFAULT_HTTP_TIMEOUT,
            tasks: Vec::new(),
        }
    }
}

fn build_client(tls: &Arc<ClientConfig>) -> Result<reqwest::Client, NetError> {
    let mut config = (**tls).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .gzip(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .user_agent(concat!("kiwi-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| NetError::new(ErrorKind::Io, format!("cannot start the HTTP client: {e}")))
}

impl State {
    fn http_client(&mut self) -> Result<reqwest::Client, NetError> {
        let tls = self.trust.client_config();
        if let Some((client, built_with)) = &self.http.client {
            if Arc::ptr_eq(built_with, &tls) {
                return Ok(client.clone());
            }
        }
        let client = build_client(&tls)?;
        self.http.client = Some((client.clone(), tls));
        Ok(client)
    }
}

/// The TLS failure somewhere in `e`'s chain of causes, as a TLS connect reports it. It can
/// be deep (reqwest -> hyper-util -> io::Error -> rustls), and io::Error hides its inner
/// error from `source()`.
pub(super) fn tls_failure(peer: &str, e: &(dyn StdError + 'static)) -> Option<NetError> {
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(handshake_error(peer, tls));
        }
        // io::Errors nest (tokio-rustls inside hyper-util's): walk into the wrapped error.
        source = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    None
}

/// What went wrong with a request, in one line, with the kind that decides the Kiwi error.
fn request_error(url: &str, e: &reqwest::Error) -> NetError {
    if let Some(mut tls) = tls_failure(url, e) {
        if !tls.message.contains(url) {
            tls.message = format!("{url}: {}", tls.message);
        }
        return tls;
    }
    let kind = if e.is_timeout() {
        ErrorKind::TimedOut
    } else if e.is_redirect() || e.is_builder() {
        ErrorKind::InvalidInput
    } else if e.is_connect() {
        ErrorKind::Refused
    } else {
        ErrorKind::Io
    };
    // reqwest's own outer messages repeat the URL and name layers; the causes say what
    // happened ("tcp connect error: Connection refused").
    let mut causes: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !text.starts_with("client error") && !causes.iter().any(|c| c.contains(&text)) {
            causes.push(text);
        }
        source = s.source();
    }
    let reason = if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    };
    NetError::new(kind, format!("{url}: {reason}"))
}

/// An error and its causes, joined (reqwest's own message alone says little).
pub(super) fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// The response as the script sees it: `status`, `ok`, `headers` (lower-case names, repeated
/// ones joined with ", "), `body` (text when UTF-8, else bytes), `url` (after redirects),
/// `version`.
async fn perform(
    client: reqwest::Client,
    req: HttpRequest,
    timeout: Duration,
) -> Result<Done, NetError> {
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|_| {
        NetError::new(
            ErrorKind::InvalidInput,
            format!("invalid HTTP method {:?}", req.method),
        )
    })?;
    let url = reqwest::Url::parse(&req.url).map_err(|e| {
        NetError::new(
            ErrorKind::InvalidInput,
            format!("invalid URL {:?}: {e}", req.url),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(NetError::new(
            ErrorKind::InvalidInput,
            format!(
                "unsupported URL scheme {:?} (http and https only)",
                url.scheme()
            ),
        ));
    }
    let mut builder = client
        .request(method, url)
        .timeout(req.timeout.unwrap_or(timeout));
    for (name, value) in &req.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some(body) = req.body {
        builder = builder.body(body);
    }
    let resp = builder
        .send()
        .await
        .map_err(|e| request_error(&req.url, &e))?;
    let status = resp.status().as_u16();
    let final_url = resp.url().to_string();
    let version = format!("{:?}", resp.version());
    let headers = header_record(resp.headers());
    let body = match &req.download_to {
        Some(path) => {
            let mut resp = resp;
            let mut file = tokio::fs::File::create(path)
                .await
                .map_err(|e| NetError::io(format!("cannot create {}", path.display()), &e))?;
            let mut written: i64 = 0;
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| request_error(&req.url, &e))?
            {
                tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
                    .await
                    .map_err(|e| NetError::io(format!("cannot write {}", path.display()), &e))?;
                written += chunk.len() as i64;
            }
            tokio::io::AsyncWriteExt::flush(&mut file)
                .await
                .map_err(|e| NetError::io(format!("cannot write {}", path.display()), &e))?;
            Record::Int(written)
        }
        None => {
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| request_error(&req.url, &e))?;
            Record::text_or_bytes(bytes.to_vec())
        }
    };
    Ok(Done::Record(Record::Map(vec![
        ("status".into(), Record::Int(i64::from(status))),
        ("ok".into(), Record::Bool((200..300).contains(&status))),
        ("headers".into(), headers),
        ("body".into(), body),
        ("url".into(), Record::Str(final_url)),
        ("version".into(), Record::Str(version)),
    ])))
}

impl Net {
    /// Starts an HTTP request; completes with [`Done::Record`] (the response, see above) or an
    /// error: kind `TimedOut`, `Refused` (cannot connect), `CertRejected` / `Tls` (as for a
    /// TLS connect), `InvalidInput` (bad URL, method, too many redirects), `Io` otherwise. A
    /// 4xx or 5xx status is a response, not an error.
    pub fn http_request(&self, op: Id, req: HttpRequest) {
        let task = self.spawn_op(op, |st| {
            let client = st.http_client()?;
            let timeout = st.http.timeout;
            Ok(perform(client, req, timeout))
        });
        let mut st = self.inner.state.borrow_mut();
        st.http.tasks.retain(|t| !t.is_finished());
        st.http.tasks.extend(task);
    }

    /// Sets the timeout of later requests that set none of their own (0: the default).
    pub fn set_http_timeout(&self, timeout: Duration) {
        self.inner.state.borrow_mut().http.timeout = if timeout.is_zero() {
            DEFAULT_HTTP_TIMEOUT
        } else {
            timeout
        };
    }
}
