//! The limit `benches/serve.sh` measures `wktui serve` against: hyper with
//! the same HTTP/1.1 settings on 127.0.0.1, answering every request with a
//! fixed token-shaped body and doing nothing else. Prints its URL, serves
//! until stdin closes.
//!
//!     cargo build --release --example bare_hyper

use std::convert::Infallible;
use std::io::Read;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, header};
use hyper_util::rt::{TokioIo, TokioTimer};

const BODY: &str = r#"{"access_token":"wk.0123456789abcdefghijklmnopqrstuvwxyzABCD","expires_in":599,"scope":"file:read file:write","token_type":"Bearer"}"#;

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    println!("http://{}", listener.local_addr()?);
    runtime.spawn(async move {
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).keep_alive(true);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let builder = builder.clone();
            tokio::spawn(async move {
                let service = service_fn(|_request| async {
                    let mut response = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    // Serve until whoever started us closes our stdin.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    Ok(())
}
