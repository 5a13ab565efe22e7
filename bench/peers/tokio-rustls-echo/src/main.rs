//! Reference TLS echo server for `bench/tls`: tokio-rustls on a current-thread
//! runtime (one thread, like kiwi), rustls with the `ring` provider (the one
//! kiwi-net uses) and its default protocol versions (TLS 1.2 and 1.3), no
//! client authentication, no session resumption tweaks (rustls server
//! defaults). One spawned task per connection: TLS accept, then a loop of a
//! 4 KiB read and `write_all` of whatever was read; on EOF (the client's
//! close_notify) or an error the connection is dropped. TCP_NODELAY on.
//!
//! Usage: `tokio-rustls-echo PORT CERT KEY` (PEM files: the certificate chain,
//! leaf first, and its private key; binds 127.0.0.1:PORT, serves until killed).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

async fn serve(acceptor: TlsAcceptor, stream: TcpStream) {
    let Ok(mut tls) = acceptor.accept(stream).await else {
        return;
    };
    let mut buf = [0u8; 4096];
    loop {
        match tls.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if tls.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn fail(msg: String) -> ! {
    eprintln!("tokio-rustls-echo: {msg}");
    std::process::exit(1);
}

fn server_config(cert: &str, key: &str) -> ServerConfig {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap_or_else(|e| fail(format!("{cert}: {e}")))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| fail(format!("{cert}: {e}")));
    if certs.is_empty() {
        fail(format!("{cert}: no certificate"));
    }
    let key = PrivateKeyDer::from_pem_file(key).unwrap_or_else(|e| fail(format!("{key}: {e}")));
    ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| fail(format!("protocol versions: {e}")))
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap_or_else(|e| fail(format!("certificate/key: {e}")))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (port, cert, key) = match &args[..] {
        [_, port, cert, key] => match port.parse::<u16>() {
            Ok(p) => (p, cert.as_str(), key.as_str()),
            Err(_) => fail(format!("bad port {port:?}")),
        },
        _ => {
            eprintln!("usage: tokio-rustls-echo PORT CERT KEY");
            std::process::exit(2);
        }
    };
    let acceptor = TlsAcceptor::from(Arc::new(server_config(cert, key)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| fail(format!("bind 127.0.0.1:{port}: {e}")));
        println!(
            "tokio-rustls echo server listening on {}",
            listener.local_addr().unwrap()
        );
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve(acceptor.clone(), stream));
                }
                // e.g. EMFILE: back off briefly instead of spinning.
                Err(e) => {
                    eprintln!("tokio-rustls-echo: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
        }
    });
}
