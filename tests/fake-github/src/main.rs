//! `fake-github`: serve a world described by a JSON file (see `fake_github::world`).
//!
//! ```text
//! fake-github --world world.json [--port N] [--latency-ms N] [--time-scale F]
//!             [--secondary-limit-per-minute N] [--secondary-limit-per-hour N] [--primary-limit N]
//!             [--tls-cert PEM --tls-key PEM | --tls-self-signed CERT_OUT]
//!             [--request-log PATH] [--url-file PATH] [--hostile-echo]
//! ```
//!
//! Prints `fake-github listening on URL` on stdout once ready. The request log (JSON Lines, raw
//! bodies: sealed values only) is rewritten every second when it changed and on SIGTERM/SIGINT.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use fake_github::world::World;
use fake_github::{FakeGitHub, Options, TlsConfig};

struct Args {
    world: Option<PathBuf>,
    opts: Options,
    request_log: Option<PathBuf>,
    url_file: Option<PathBuf>,
    hostile_echo: bool,
}

const USAGE: &str = "usage: fake-github --world PATH [--port N] [--latency-ms N] [--time-scale F] \
[--secondary-limit-per-minute N] [--secondary-limit-per-hour N] [--primary-limit N] [--tls-cert PEM --tls-key PEM | --tls-self-signed CERT_OUT] \
[--request-log PATH] [--url-file PATH] [--hostile-echo]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        world: None,
        opts: Options::default(),
        request_log: None,
        url_file: None,
        hostile_echo: false,
    };
    let mut cert: Option<PathBuf> = None;
    let mut key: Option<PathBuf> = None;
    let mut self_signed_out: Option<PathBuf> = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_string());
        }
        if flag == "--hostile-echo" {
            a.hostile_echo = true;
            continue;
        }
        let mut val = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--world" => a.world = Some(val()?.into()),
            "--port" => a.opts.port = num(val()?)? as u16,
            "--latency-ms" => a.opts.latency = Duration::from_millis(num(val()?)?),
            "--time-scale" => {
                let v = val()?;
                a.opts.time_scale = v.parse().map_err(|_| format!("--time-scale: {v}"))?
            }
            "--secondary-limit-per-minute" => {
                a.opts.secondary_limit_per_minute = Some(num(val()?)? as u32)
            }
            "--secondary-limit-per-hour" => {
                a.opts.secondary_limit_per_hour = Some(num(val()?)? as u32)
            }
            "--primary-limit" => a.opts.primary_limit = Some(num(val()?)? as u32),
            "--tls-cert" => cert = Some(val()?.into()),
            "--tls-key" => key = Some(val()?.into()),
            "--tls-self-signed" => self_signed_out = Some(val()?.into()),
            "--request-log" => a.request_log = Some(val()?.into()),
            "--url-file" => a.url_file = Some(val()?.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    a.opts.tls = match (cert, key, self_signed_out) {
        (Some(c), Some(k), None) => Some(TlsConfig {
            cert_pem: read(&c)?,
            key_pem: read(&k)?,
        }),
        (None, None, Some(out)) => {
            let (cert_pem, key_pem) = fake_github::self_signed(&["localhost", "127.0.0.1"]);
            std::fs::write(&out, &cert_pem)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            Some(TlsConfig { cert_pem, key_pem })
        }
        (None, None, None) => None,
        _ => {
            return Err(format!(
                "give --tls-cert and --tls-key together, or --tls-self-signed alone\n{USAGE}"
            ))
        }
    };
    Ok(a)
}

fn write_log(gh: &FakeGitHub, path: &Option<PathBuf>) {
    if let Some(p) = path {
        let tmp = p.with_extension("tmp");
        if std::fs::write(&tmp, gh.requests_jsonl()).is_ok() {
            let _ = std::fs::rename(&tmp, p);
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let world = match &args.world {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| World::from_json(&t).map_err(|e| e.to_string()))
        {
            Ok(w) => w,
            Err(e) => {
                eprintln!("fake-github: world {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => World::default(),
    };
    let gh = FakeGitHub::start_with(args.opts.clone());
    world.apply(&gh);
    gh.hostile_echo(args.hostile_echo);
    if let Some(p) = &args.url_file {
        if let Err(e) = std::fs::write(p, gh.url()) {
            eprintln!("fake-github: cannot write {}: {e}", p.display());
            return ExitCode::from(2);
        }
    }
    println!("fake-github listening on {}", gh.url());

    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fake-github: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        let mut written = (usize::MAX, 0u64);
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {
                    let reqs = gh.requests();
                    let n = (reqs.len(), reqs.iter().map(|r| u64::from(r.status)).sum());
                    if n != written {
                        write_log(&gh, &args.request_log);
                        written = n;
                    }
                }
            }
        }
    });
    write_log(&gh, &args.request_log);
    ExitCode::SUCCESS
}
