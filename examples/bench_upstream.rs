//! The test upstream of the integration tests (`tests/api/support/upstream.rs`) as a process,
//! for `scripts/bench-upstream.sh`: it serves the upstream contract v1 for the four countries
//! from the embedded data set, under `http://127.0.0.1:<port>/<cc>`, and never misbehaves.
//!
//! Usage: bench_upstream <port> [workers, default 1]

#[path = "../tests/api/support/upstream.rs"]
mod upstream;

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect("a port");
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    let _upstream = upstream::TestUpstream::start_on(&format!("127.0.0.1:{port}"), workers);
    eprintln!("bench_upstream listening on 127.0.0.1:{port}");
    loop {
        std::thread::park();
    }
}
