//! A hostile or mistyped API endpoint hands out a public key that protects nothing.
//!
//! A small-order point of Curve25519 makes every shared secret all zeros: a sealed box to it
//! opens without any private key, so the value would be readable by whoever sees the request.
//! The run must refuse the key, name the target, and write nothing there.

use fake_github::Scope;

use crate::common::{fake, Step, REPO};

/// libsodium's blocklist of small-order points (canonical and not); `seal.rs` has the same list
/// in its unit test, with the top bit set as well.
const SMALL_ORDER: [&str; 7] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn step_with_two_changed_values(api: &fake_github::FakeGitHub) -> Step<'_> {
    Step::new(api)
        .token()
        .file(".cache/session/session.token", "session-value-low-order-1")
        .file(".cache/session/refresh.token", "refresh-value-low-order-2")
        .input("files", ".cache/session/*.token")
        .input("prefix", "MOOGO_")
        .input("current", "{}")
}

#[test]
fn a_low_order_public_key_is_refused_and_nothing_is_sealed_to_it() {
    for (i, hex) in SMALL_ORDER.into_iter().enumerate() {
        let api = fake();
        api.serve_public_key(&Scope::repo(REPO), &unhex(hex));
        let ran = step_with_two_changed_values(&api).run();

        assert_eq!(ran.code, 1, "key {hex}: {}", ran.transcript());
        assert_eq!(
            api.count("PUT", ""),
            0,
            "key {hex}: a value was sealed to it"
        );
        assert_eq!(api.count("GET", "/public-key"), 1, "key {hex}");
        assert!(
            ran.stdout.contains("low-order") && ran.stdout.contains(REPO),
            "key {hex}: the error names the target and the cause:\n{}",
            ran.transcript()
        );
        assert_eq!(
            ran.output("updated"),
            "[]",
            "key {hex}: reported as written"
        );
        if i == 0 {
            insta::assert_snapshot!(ran.transcript());
        }
        ran.assert_no_leak();
    }
}

#[test]
fn a_public_key_of_the_wrong_length_is_refused_and_nothing_is_written() {
    for len in [0usize, 16, 31, 33, 64] {
        let api = fake();
        api.serve_public_key(&Scope::repo(REPO), &vec![7u8; len]);
        let ran = step_with_two_changed_values(&api).run();

        assert_eq!(ran.code, 1, "{len} bytes: {}", ran.transcript());
        assert_eq!(api.count("PUT", ""), 0, "{len} bytes");
        assert!(
            ran.stdout.contains("32 bytes") && ran.stdout.contains(REPO),
            "{len} bytes:\n{}",
            ran.transcript()
        );
        ran.assert_no_leak();
    }
}
