//! One frame of the interface (TestBackend 120x40) with 10, 1,000 and 10,000
//! profiles: it must stay flat, since only the visible rows are built.
//! Also a key press through App::update and the tick that drives countdowns.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wktui::model::{BearerToken, Endpoint, Profile, Region, Scopes, Settings, Timestamp, Token};
use wktui::tui::{Action, App, draw};

const NOW: Timestamp = Timestamp(1_790_000_000_000);

fn fleet(count: usize) -> App {
    let regions = [Region::Us, Region::Eu, Region::Apac];
    let profiles: Vec<Profile> = (0..count)
        .map(|i| {
            let mut p = Profile::new(
                format!("profile-{i:05}"),
                Endpoint::Region(regions[i % 3]),
                "client",
            );
            p.scope = Some(Scopes::parse("file:read file:write"));
            p
        })
        .collect();
    let cached = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let response = BearerToken {
                access_token: format!("wk.token-{i}"),
                expires_in: 600,
                scope: Some("file:read file:write".into()),
                token_type: "Bearer".into(),
            };
            let obtained = Timestamp(NOW.as_millis() - (i as u64 % 700) * 1000);
            let token = Token::from_response(&response, None, obtained).expect("token");
            (p.name.clone(), token)
        })
        .collect();
    let mut app = App::new(profiles, Settings::default(), cached, NOW);
    app.update(Action::Resize(120, 40));
    app
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_120x40");
    for count in [10, 1_000, 10_000] {
        let mut app = fleet(count);
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let mut tick = 0u64;
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, _| {
            b.iter(|| {
                // A new second each frame, as the countdown redraw does.
                tick += 1;
                app.update(Action::Tick(Timestamp(NOW.as_millis() + tick * 1000)));
                terminal.draw(|frame| draw(frame, black_box(&app))).expect("draw");
            })
        });
    }
    group.finish();
}

fn key_press(c: &mut Criterion) {
    let mut group = c.benchmark_group("key_down_update");
    for count in [10, 10_000] {
        let mut app = fleet(count);
        let down = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, _| {
            b.iter(|| black_box(app.update(Action::Key(down))))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = render, key_press
}
criterion_main!(benches);
