//! `tokio-udp-echo PORT`: sends every datagram back to its sender, one thread.

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: tokio-udp-echo PORT");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let sock = tokio::net::UdpSocket::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let mut buf = vec![0u8; 65_536];
        loop {
            if let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let _ = sock.send_to(&buf[..n], from).await;
            }
        }
    });
}
