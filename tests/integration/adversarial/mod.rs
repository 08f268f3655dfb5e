//! The adversarial suite: scenarios an attacker would try, read one boundary at a time.
//!
//! Threat model (SECURITY.md): the tool holds a token that can write secrets. Untrusted are every
//! value, every file in the workspace, every string, header and body the API sends back, and every
//! argument. Each module here attacks one boundary; every finding of a review stays here as a test.
//!
//! - `workspace`: hostile files listed in `files` (symlinks out, `..`, FIFOs, devices, huge files).
//! - `inputs`: hostile action inputs and CLI arguments (multi-line values, trivial masks,
//!   runner-debug names).
//! - `server`: a hostile or mistyped API endpoint (plain http, user-info, `Link` tricks, huge and
//!   endless bodies, bad headers, overflowing waits, panics).
//! - `output`: strings from the server that try to become workflow commands or HTML, and error
//!   bodies that echo credentials.
//! - `echo`: a server that echoes every token and value it was sent, in every encoding and cut:
//!   no sink (stdout, stderr, outputs, summary, audit log, records) holds any form of them.
//! - `ledger`: forged or stale audit records in the workspace.
//! - `keys`: low-order and malformed public keys.
//! - `credentials`: where the CLI looks for a token, and where that token may be sent.
//! - `keyless`: a hostile token exchange (tokens of the wrong shape, redirects, command
//!   injection in its refusal, endless answers).
//! - `hostile`: a tiny server answering whatever a scenario says (no GitHub would).

mod credentials;
mod echo;
mod hostile;
mod inputs;
mod keyless;
mod keys;
mod ledger;
mod output;
mod server;
mod workspace;
