//! `hyper-json PORT`: answers GET /json with `{"message":"Hello, World!"}` (404 otherwise),
//! HTTP/1.1 keep-alive, one thread, a task per connection.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

async fn route(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/json" {
        let mut r = Response::new(Full::new(Bytes::from_static(
            br#"{"message":"Hello, World!"}"#,
        )));
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        return Ok(r);
    }
    let mut r = Response::new(Full::new(Bytes::from_static(b"Not Found")));
    *r.status_mut() = StatusCode::NOT_FOUND;
    Ok(r)
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: hyper-json PORT");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            let _ = sock.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(sock), hyper::service::service_fn(route))
                    .await;
            });
        }
    });
}
