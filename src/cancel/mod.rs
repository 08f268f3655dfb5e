//! Cancellation: SIGINT and SIGTERM (Ctrl-C, a cancelled workflow, `timeout-minutes`, the
//! container engine stopping PID 1).
//!
//! The handlers are installed once, where a command's runtime is built ([`runtime`]). A signal
//! is recorded here, never acted on in the handler: the command checks [`requested`] before
//! each write, so no new write starts after it; the write in flight gets [`GRACE`] to finish
//! ([`or_abandon`]), then is abandoned; a minted installation token is revoked within
//! [`REVOKE_LIMIT`]; the report is written; the exit code is 128 + the signal's number.
//! The runner sends SIGINT, then SIGTERM about 7.5 s later, then kills: grace, revocation and
//! report fit well inside that.

use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::watch;

/// How long the request in flight when a signal arrives may still take.
pub const GRACE: Duration = Duration::from_secs(2);
/// The most revoking a minted token may take after a signal.
pub const REVOKE_LIMIT: Duration = Duration::from_secs(3);

/// A signal that cancels the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// 128 + the signal's number, as a shell reports a process the signal ended.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    fn code(self) -> u8 {
        match self {
            Signal::Interrupt => 1,
            Signal::Terminate => 2,
        }
    }

    fn from_code(code: u8) -> Option<Signal> {
        match code {
            1 => Some(Signal::Interrupt),
            2 => Some(Signal::Terminate),
            _ => None,
        }
    }
}

/// The first signal received; later ones do not change what is reported.
static RECEIVED: AtomicU8 = AtomicU8::new(0);

fn channel() -> &'static watch::Sender<Option<Signal>> {
    static CHANNEL: OnceLock<watch::Sender<Option<Signal>>> = OnceLock::new();
    CHANNEL.get_or_init(|| watch::Sender::new(None))
}

/// Records `signal` (the first one wins) and wakes every [`cancelled`] waiter.
pub fn record(signal: Signal) {
    let _ = RECEIVED.compare_exchange(0, signal.code(), Ordering::SeqCst, Ordering::SeqCst);
    if let Some(first) = requested() {
        channel().send_replace(Some(first));
    }
}

/// The signal that cancelled the run, if one came.
pub fn requested() -> Option<Signal> {
    Signal::from_code(RECEIVED.load(Ordering::SeqCst))
}

/// Resolves when a signal has come.
pub async fn cancelled() -> Signal {
    let mut rx = channel().subscribe();
    loop {
        if let Some(s) = *rx.borrow_and_update() {
            return s;
        }
        if rx.changed().await.is_err() {
            // The sender lives in a static: never dropped. Wait forever rather than spin.
            std::future::pending::<()>().await;
        }
    }
}

/// Runs `fut`; when a signal comes first, lets it run [`GRACE`] longer, then abandons it
/// (drops it: its connection is closed) and returns the signal.
pub async fn or_abandon<F: Future>(fut: F) -> Result<F::Output, Signal> {
    tokio::pin!(fut);
    let signal = tokio::select! {
        out = &mut fut => return Ok(out),
        s = cancelled() => s,
    };
    tokio::time::timeout(GRACE, fut).await.map_err(|_| signal)
}

/// [`or_abandon`], except that `fut` is never started once a signal has come.
pub async fn unless_cancelled<F: Future>(fut: F) -> Result<F::Output, Signal> {
    match requested() {
        Some(signal) => Err(signal),
        None => or_abandon(fut).await,
    }
}

/// A single-threaded runtime for one command, with the SIGINT and SIGTERM handlers installed.
/// From here on the signals no longer end the process: the command ends itself, cleanly.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(listen())?;
    Ok(runtime)
}

#[cfg(unix)]
async fn listen() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = interrupt.recv() => record(Signal::Interrupt),
                Some(()) = terminate.recv() => record(Signal::Terminate),
                else => break,
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
async fn listen() -> std::io::Result<()> {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            record(Signal::Interrupt);
        }
    });
    Ok(())
}

/// The sentence every report of a cancelled run ends with.
pub fn how_to_finish(signal: Signal) -> String {
    format!(
        "cancelled by {}: no write started after it; run again to write what was not attempted",
        signal.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        assert_eq!(Signal::Interrupt.exit_code(), 128 + 2);
        assert_eq!(Signal::Terminate.exit_code(), 128 + 15);
    }
}
