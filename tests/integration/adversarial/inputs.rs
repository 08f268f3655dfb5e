//! Adversarial scenarios: see `mod.rs`.
