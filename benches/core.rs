//! The pieces of a cached `wktui token`: parsing the config, reading the
//! cache file, and the expiry math.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use wktui::cache::TokenCache;
use wktui::config;
use wktui::model::{BearerToken, Timestamp, Token};

fn config_text(profiles: usize) -> String {
    let mut text = String::from("[settings]\nrefresh_margin = 60\n");
    for i in 0..profiles {
        text.push_str(&format!(
            "\n[[profile]]\nname = \"p{i}\"\nregion = \"us\"\nclient_id = \"client-{i}\"\nscope = \"file:read file:write\"\n"
        ));
    }
    text
}

fn core(c: &mut Criterion) {
    let one = config_text(1);
    let hundred = config_text(100);
    c.bench_function("config_parse_1_profile", |b| {
        b.iter(|| config::parse(black_box(&one), Path::new("c")).expect("valid"))
    });
    c.bench_function("config_parse_100_profiles", |b| {
        b.iter(|| config::parse(black_box(&hundred), Path::new("c")).expect("valid"))
    });

    // 10,000 profiles: parsed whole, and read back from the config index
    // (one profile, as `token NAME` does, and all of them, as `list` does).
    let fleet = config_text(10_000);
    c.bench_function("config_parse_10000_profiles", |b| {
        b.iter(|| config::parse(black_box(&fleet), Path::new("c")).expect("valid"))
    });
    let files = tempfile::tempdir().expect("tempdir");
    let path = files.path().join("config.toml");
    std::fs::write(&path, &fleet).expect("write");
    let index = files.path().join("cache");
    // A file changed within the last second is not indexed.
    std::thread::sleep(Duration::from_millis(1100));
    config::load_with_index(&path, Some(&index), config::Want::All).expect("load");
    let indexed = config::load_with_index(&path, Some(&index), config::Want::Profile("p5000")).expect("load");
    assert!(indexed.partial, "the index was written and used");
    c.bench_function("config_index_one_of_10000_profiles", |b| {
        b.iter(|| config::load_with_index(&path, Some(&index), config::Want::Profile(black_box("p5000"))))
    });
    c.bench_function("config_index_all_10000_profiles", |b| {
        b.iter(|| config::load_with_index(&path, Some(&index), config::Want::All))
    });

    let dir = tempfile::tempdir().expect("tempdir");
    // A directory of its own, made private: the tempdir itself is 0755.
    let cache = TokenCache::new(dir.path().join("cache"));
    let config = config::parse(&one, Path::new("c")).expect("valid");
    let profile = &config.profiles[0];
    let response = BearerToken {
        access_token: "wk.0123456789abcdefghijklmnopqrstuvwxyzABCD".into(),
        expires_in: 600,
        scope: Some("file:read file:write".into()),
        token_type: "Bearer".into(),
    };
    let token = Token::from_response(&response, None, Timestamp(1_790_000_000_000)).expect("token");
    cache.store(profile, &token).expect("store");
    c.bench_function("cache_load_hit", |b| {
        b.iter(|| cache.load(black_box(profile)).expect("hit"))
    });
    c.bench_function("token_state", |b| {
        b.iter(|| token.state(black_box(Timestamp(1_790_000_300_000)), Duration::from_secs(60)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = core
}
criterion_main!(benches);
