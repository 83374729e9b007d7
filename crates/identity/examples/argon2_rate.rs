//! The raw Argon2id verify rate of this machine with the platform's parameters: `threads` threads
//! each verifying one hash for `seconds`, no HTTP, no database. The baseline of `bench/signin.sh`.
//! Usage: argon2_rate [THREADS=cores] [SECONDS=5] [MEMORY_KIB=19456] [ITERATIONS=2]

use std::time::{Duration, Instant};

use okno_identity::password::{HashParams, Hasher};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let threads = arg(0, cores) as usize;
    let seconds = arg(1, 5);
    let defaults = HashParams::default();
    let params = HashParams {
        memory_kib: arg(2, defaults.memory_kib as u64) as u32,
        iterations: arg(3, defaults.iterations as u64) as u32,
        ..defaults
    };
    let hasher = Hasher::new(params, threads).expect("valid parameters");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let phc = rt
        .block_on(hasher.hash("Лиса-На-Крыше7"))
        .expect("hashing works");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        assert!(hasher
                            .verify_blocking(&phc, "Лиса-На-Крыше7")
                            .expect("verifies"));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let total: u64 = counts.iter().sum();
    let rate = total as f64 / started.elapsed().as_secs_f64();
    println!(
        "argon2id m={} t={} p={}: {threads} threads, {total} verifies in {:.1} s = {rate:.1} verifies/s",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        started.elapsed().as_secs_f64()
    );
}
