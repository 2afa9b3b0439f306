//! The interface measured as a user meets it, in a pseudo-terminal, with the
//! release binary: exec to the first complete frame, a key press to the frame
//! that shows it while refreshes are in flight, CPU while idle, peak memory;
//! then the same with 10,000 profiles, and the CPU it takes while a script
//! refreshes one token every two seconds.
//!
//! `cargo bench --bench tui_timing` (add `-- --idle-secs 10` for a quick run,
//! `-- --fleet-only` for the 10,000-profile rows alone, `-- --idle-only` for
//! idle CPU alone, `-- --quick-only` for the first frame and key presses alone; `WKTUI_BENCH_BIN=PATH`
//! measures another build of wktui the same way).
//! Prints a Markdown table; BENCHMARKS.md records the figures.
//!
//! It needs Linux (a pseudo-terminal, and /proc for CPU time and memory);
//! elsewhere it says so and measures nothing.

#[cfg(target_os = "linux")]
mod linux;

fn main() {
    #[cfg(target_os = "linux")]
    linux::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("tui_timing measures in a pseudo-terminal with /proc, which needs Linux; nothing measured");
}
