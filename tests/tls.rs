//! TLS: the OS trust store plus an extra CA file, as behind corporate TLS
//! inspection. A TLS front (tokio-rustls, a certificate from a throwaway CA)
//! passes requests on to the token server.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{Sandbox, server};

struct TlsFront {
    addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

/// A CA, and a certificate for 127.0.0.1 signed by it; returns the CA's PEM.
fn start_tls_front(backend: SocketAddr) -> (TlsFront, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "wktui test CA");
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let leaf_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("leaf params");
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).expect("leaf cert");

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
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (
        TlsFront {
            addr,
            _runtime: runtime,
        },
        ca.pem(),
    )
}

#[test]
fn an_extra_ca_file_is_trusted_and_nothing_else_is() {
    let sb = Sandbox::new();
    let srv = server();
    let (front, ca_pem) = start_tls_front(srv.addr());
    let ca_path = sb.path().join("corp-ca.pem");
    std::fs::write(&ca_path, ca_pem).expect("write CA");
    let url = format!("https://127.0.0.1:{}/oauth2/token", front.addr.port());

    sb.add_profile("untrusted", &url, &[]);
    let run = sb.run(&["token", "untrusted"]).fails_with(1);
    run.says(&["TLS certificate of https://127.0.0.1:"]);
    run.says(&["UnknownIssuer", "ca_file"]);
    assert!(
        !run.stderr.contains("tries"),
        "a certificate error is not retried: {}",
        run.stderr
    );
    assert_eq!(
        srv.token_requests(),
        0,
        "no request crossed an unverified connection"
    );

    sb.add_profile("trusted", &url, &["--ca-file", ca_path.to_str().expect("utf-8")]);
    let run = sb.run(&["token", "trusted"]).ok();
    assert!(run.stdout.starts_with("wk."), "{}", run.stdout);
    assert_eq!(srv.token_requests(), 1);
}

#[test]
fn a_bad_ca_file_is_named_in_the_error() {
    let sb = Sandbox::new();
    let srv = server();
    let (front, _) = start_tls_front(srv.addr());
    let bogus = sb.path().join("not-a-cert.pem");
    std::fs::write(&bogus, "hello").expect("write");
    let url = format!("https://127.0.0.1:{}/oauth2/token", front.addr.port());
    sb.add_profile("p", &url, &["--ca-file", bogus.to_str().expect("utf-8")]);
    let run = sb.run(&["token", "p"]).fails_with(1);
    run.says(&["cannot use the CA file", "not-a-cert.pem"]);
}
