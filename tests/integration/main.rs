//! Integration tests: the compiled binary against a fake GitHub API over real HTTP.

mod action;
mod app;
mod app_cli;
mod cli;
mod common;
mod faults;
mod targets;
