//! TLS: the OS trust store plus an extra CA file, as behind corporate TLS
//! inspection. A TLS front (tokio-rustls, a certificate from a throwaway CA)
//! passes requests on to the token server.

use crate::common::{Sandbox, server};

#[test]
fn an_extra_ca_file_is_trusted_and_nothing_else_is() {
    let sb = Sandbox::new();
    let srv = server();
    let front = crate::common::tls::front(srv.addr());
    let ca_pem = front.ca_pem.clone();
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
    let front = crate::common::tls::front(srv.addr());
    let bogus = sb.path().join("not-a-cert.pem");
    std::fs::write(&bogus, "hello").expect("write");
    let url = format!("https://127.0.0.1:{}/oauth2/token", front.addr.port());
    sb.add_profile("p", &url, &["--ca-file", bogus.to_str().expect("utf-8")]);
    let run = sb.run(&["token", "p"]).fails_with(1);
    run.says(&["cannot use the CA file", "not-a-cert.pem"]);
}
