//! Sealed boxes made by libsodium (PyNaCl) open in the fake, and the fake's secret key opens
//! them in libsodium too. Skipped (with a note) when python3 or PyNaCl is missing.

use std::process::Command;

use fake_github::testclient::{request, seal};
use fake_github::{FakeGitHub, Scope, TokenSpec};
use serde_json::json;

const PY: &str = r#"
import base64, sys
from nacl.public import PublicKey, PrivateKey, SealedBox
mode = sys.argv[1]
if mode == "seal":
    pk = PublicKey(base64.b64decode(sys.argv[2]))
    print(base64.b64encode(SealedBox(pk).encrypt(sys.argv[3].encode())).decode())
else:
    sk = PrivateKey(base64.b64decode(sys.argv[2]))
    print(SealedBox(sk).decrypt(base64.b64decode(sys.argv[3])).decode())
"#;

fn python(args: &[&str]) -> Option<String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(PY)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn pynacl_sealed_boxes_interoperate() {
    let ok = Command::new("python3")
        .args(["-c", "import nacl"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 with PyNaCl not available");
        return;
    }
    let gh = FakeGitHub::start();
    gh.add_repo("octo/app");
    gh.add_token("t", TokenSpec::classic("octo", &["repo"]));
    let scope = Scope::repo("octo/app");
    let (kid, pk) = gh.public_key(&scope);

    // libsodium seals, the fake opens.
    let sealed = python(&["seal", &pk, "from libsodium ✓"]).expect("python seal");
    let body = json!({"encrypted_value": sealed, "key_id": kid}).to_string();
    let r = request(
        &gh.url(),
        "PUT",
        "/repos/octo/app/actions/secrets/X",
        Some("t"),
        Some(&body),
    )
    .expect("answer");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        gh.secret(&scope, "X").map(|s| s.value).as_deref(),
        Some("from libsodium ✓")
    );

    // crypto_box seals, libsodium opens with the fake's secret key.
    use base64::Engine as _;
    let sk = base64::engine::general_purpose::STANDARD.encode(gh.secret_key_bytes(&scope));
    let opened = python(&["open", &sk, &seal(&pk, "from rust")]).expect("python open");
    assert_eq!(opened, "from rust");
}
