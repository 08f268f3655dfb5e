//! Integration tests against a fake GitHub API over real HTTP: action steps in-process through
//! `secret_refresh::run`, everything else the compiled binary (see `common::Step::run`).

mod action;
mod adversarial;
mod agents;
mod app;
mod app_cli;
mod arguments;
mod benchmarks;
mod blast;
mod cancel;
mod cli;
mod common;
#[path = "../support/connect_proxy.rs"]
mod connect_proxy;
mod delete;
mod dry_run;
mod faults;
mod green;
mod habits;
mod in_process;
mod keyless;
#[path = "../support/leak_check.rs"]
mod leak_check;
mod pacing;
mod preflight;
#[path = "../support/process.rs"]
mod process;
mod proxy;
mod revocation;
mod rotate;
mod runner;
mod secondary_limits;
#[path = "../support/signal_phase.rs"]
mod signal_phase;
mod stored_at;
mod targets;
mod tokens;
