//! A tiny seeded PRNG (SplitMix64) for reproducible fault schedules, and a helper drawing a
//! fault of any class the fake injects.

use std::time::Duration;

use crate::{Fault, FaultKind};

/// SplitMix64: small, fast, reproducible across platforms. Not for cryptography.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> SeededRng {
        SeededRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        let x = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len() as u64) as usize)
        }
    }
}

/// Every fault class, in a fixed order (for reports and coverage checks).
pub const FAULT_CLASSES: &[&str] = &[
    "status",
    "drop",
    "drop_after_processing",
    "latency",
    "429",
    "secondary_403",
    "primary_exhausted",
    "rotate_key_before",
];

/// Draw a fault of a random class with small, test-friendly parameters (waits of 0-2 s,
/// latency up to 300 ms, 500/502/503).
pub fn draw_fault_kind(rng: &mut SeededRng) -> FaultKind {
    match rng.below(FAULT_CLASSES.len() as u64) {
        0 => FaultKind::Status(*rng.pick(&[500, 502, 503]).unwrap_or(&502)),
        1 => FaultKind::Drop,
        2 => FaultKind::DropAfterProcessing,
        3 => FaultKind::Latency(Duration::from_millis(rng.below(300))),
        4 => FaultKind::RateLimit429 {
            retry_after_secs: rng.below(3),
        },
        5 => FaultKind::Secondary403 {
            retry_after_secs: rng.below(3),
        },
        6 => FaultKind::PrimaryExhausted {
            reset_in_secs: rng.below(3),
        },
        _ => FaultKind::RotateKeyBefore,
    }
}

/// Draw a fault aimed at a random method among GET and PUT, hitting once or twice.
pub fn draw_fault(rng: &mut SeededRng) -> Fault {
    let kind = draw_fault_kind(rng);
    let method = if rng.chance(0.5) { "PUT" } else { "GET" };
    Fault::new(kind)
        .method(method)
        .times(1 + rng.below(2) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_and_covers_every_class() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        let xs: Vec<u64> = (0..10).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..10).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut seen = std::collections::BTreeSet::new();
        let mut r = SeededRng::new(1);
        for _ in 0..500 {
            let label = draw_fault_kind(&mut r).label();
            seen.insert(label.split(':').next().unwrap_or("").to_string());
        }
        assert_eq!(seen.len(), FAULT_CLASSES.len(), "{seen:?}");
    }
}
