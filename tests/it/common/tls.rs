//! An HTTPS server on 127.0.0.1 with a certificate from a throwaway CA: the
//! test decides what each connection gets (proxied to the token server, or a
//! canned answer).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

pub type TlsStream = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
type Handler = dyn Fn(TlsStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

pub struct TlsServer {
    pub addr: SocketAddr,
    /// The CA that signed the server's certificate, as PEM.
    pub ca_pem: String,
    _runtime: tokio::runtime::Runtime,
}

/// Serves every accepted TLS connection with `handle`, on a runtime of its own.
pub fn start(handle: Arc<Handler>) -> TlsServer {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "wktui test CA");
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf cert");

    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).expect("key der"),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let handle = Arc::clone(&handle);
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    handle(tls).await;
                }
            });
        }
    });
    TlsServer {
        addr,
        ca_pem: ca.pem(),
        _runtime: runtime,
    }
}

/// A TLS front that passes every connection on to `backend` (plain TCP).
pub fn front(backend: SocketAddr) -> TlsServer {
    start(Arc::new(move |mut tls| {
        Box::pin(async move {
            if let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await {
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            }
        })
    }))
}
