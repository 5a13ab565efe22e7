//! Reference echo server for `bench/echo`: plain tokio on a current-thread
//! runtime (one thread, like kiwi), one spawned task per connection, a 4 KiB
//! read buffer, `write_all` of whatever was read, TCP_NODELAY on.
//!
//! Usage: `tokio-echo PORT` (binds 127.0.0.1:PORT, serves until killed).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn serve(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn main() {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        Some(Ok(p)) => p,
        _ => {
            eprintln!("usage: tokio-echo PORT");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| {
                eprintln!("tokio-echo: bind 127.0.0.1:{port}: {e}");
                std::process::exit(1);
            });
        println!(
            "tokio echo server listening on {}",
            listener.local_addr().unwrap()
        );
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve(stream));
                }
                // e.g. EMFILE: back off briefly instead of spinning.
                Err(e) => {
                    eprintln!("tokio-echo: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
        }
    });
}
