use super::*;
use crate::pacing::rules::Window;

const S: fn(u64) -> Duration = Duration::from_secs;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One write as the pacer let it go: sent, then answered.
#[derive(Clone, Copy, Debug)]
struct Write {
    sent: Duration,
    answered: Duration,
}

/// Lets `round_trips.len()` writes through from `t`, each sent as soon as the pacer allows and
/// answered its round trip later.
fn drive(p: &mut Pacer, mut t: Duration, round_trips: &[Duration]) -> Vec<Write> {
    round_trips
        .iter()
        .map(|r| {
            t += p.wait(t);
            let sent = t;
            t += *r;
            p.record(t);
            Write { sent, answered: t }
        })
        .collect()
}

/// The most writes that can have reached GitHub inside any rolling `length`, whatever each
/// one's transit: a write arrives somewhere between when it is sent and when it is answered,
/// so the earliest write of a window is taken at its answer and the others at their sending.
fn densest(w: &[Write], length: Duration) -> usize {
    (0..w.len())
        .map(|i| {
            1 + w[i + 1..]
                .iter()
                .take_while(|later| later.sent < w[i].answered + length)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The least gap GitHub can have seen between two consecutive writes.
fn closest(w: &[Write]) -> Option<Duration> {
    w.windows(2).map(|p| p[1].sent - p[0].answered).min()
}

/// `F(n, r)`, the formula in the module's doc.
fn formula(n: u64, r: Duration) -> Duration {
    if n == 0 {
        return Duration::ZERO;
    }
    let (hours, within) = ((n - 1) / 500, (n - 1) % 500);
    (S(3600) + r) * hours as u32 + (S(1) + r) * within as u32 + r
}

/// Round trips around `mean`, uneven (from half to one and a half times it), the same on every
/// run.
fn uneven(n: usize, mean: Duration) -> Vec<Duration> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            mean.mul_f64(0.5 + (x >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

#[test]
fn the_first_write_goes_at_once_and_the_next_a_second_after_its_answer() {
    let mut p = Pacer::default();
    assert_eq!(p.wait(S(5)), Duration::ZERO);
    p.record(S(5) + ms(300)); // sent at 5 s, answered 300 ms later
    assert_eq!(p.wait(S(5) + ms(300)), S(1));
    assert_eq!(p.wait(S(6)), ms(300));
    assert_eq!(p.wait(S(7)), Duration::ZERO);
}

#[test]
fn githubs_rules_hold_at_githubs_end_whatever_the_transit() {
    // Round trips from none to longer than the pause and than a minute's share: GitHub never
    // sees two writes less than a second apart, more than 80 in a minute or 500 in an hour.
    for mean in [ms(0), ms(2), ms(300), ms(1_400), ms(61_000)] {
        let mut p = Pacer::default();
        let w = drive(&mut p, S(5), &uneven(1_200, mean));
        assert!(closest(&w).is_some_and(|c| c >= S(1)), "{mean:?}");
        assert!(densest(&w, S(60)) <= 80, "{mean:?}");
        assert!(densest(&w, S(3600)) <= 500, "{mean:?}");
    }
}

#[test]
fn the_hour_window_lets_the_501st_go_an_hour_after_the_first_answer() {
    let mut p = Pacer::default();
    let w = drive(&mut p, S(0), &[Duration::ZERO; 1000]);
    assert_eq!(w[499].sent, S(499));
    assert_eq!(w[500].sent, S(3600));
    assert_eq!(w[501].sent, S(3601));
    assert_eq!(w[999].sent, S(4099));
    assert_eq!(densest(&w, S(3600)), 500);
    assert_eq!(
        densest(&w, S(60)),
        60,
        "the pause keeps the minute under 80"
    );
    // Answered later, each write holds the next back by as much: the window counts answers.
    let mut p = Pacer::default();
    let w = drive(&mut p, S(0), &[ms(500); 501]);
    assert_eq!(w[500].sent, w[0].answered + S(3600));
}

#[test]
fn a_full_window_waits_for_its_oldest_write_whatever_the_pause() {
    static TWO_A_MINUTE: [Window; 1] = [Window {
        limit: 2,
        length: Duration::from_secs(60),
    }];
    let mut p = Pacer::new(Rules {
        pause: ms(0),
        windows: &TWO_A_MINUTE,
    });
    p.record(S(0));
    assert_eq!(p.wait(S(0)), Duration::ZERO);
    p.record(S(0));
    assert_eq!(p.wait(S(10)), S(50));
    p.record(S(60));
    assert_eq!(
        p.wait(S(60)),
        Duration::ZERO,
        "the first has left the window"
    );
}

#[test]
fn the_schedule_is_the_formula_for_every_job_up_to_2000_writes() {
    // No margin on any rule: the pacer's schedule is the compliant floor itself, so it costs
    // nothing over it at any size.
    for r in [ms(0), ms(2), ms(300), ms(1_200)] {
        let p = Pacer::default();
        for n in (0..=2_000u64)
            .step_by(7)
            .chain([1, 20, 450, 500, 501, 1000, 1001, 2000])
        {
            assert_eq!(
                p.eta(S(3), n as usize, r),
                formula(n, r),
                "{n} writes, {r:?}"
            );
        }
    }
    assert_eq!(formula(1000, Duration::ZERO), S(4099));
}

#[test]
fn the_estimate_is_the_schedule_the_pacer_keeps() {
    for (n, r) in [
        (0, ms(0)),
        (5, ms(200)),
        (100, ms(50)),
        (501, ms(0)),
        (1000, ms(250)),
    ] {
        let estimate = Pacer::default().eta(S(10), n, r);
        let mut p = Pacer::default();
        let w = drive(&mut p, S(10), &vec![r; n]);
        let done = w.last().map_or(S(10), |w| w.answered);
        assert_eq!(estimate, done - S(10), "{n} writes, {r:?} each");
    }
    // It starts from what was already written: the next write waits for the pause.
    let mut p = Pacer::default();
    p.record(S(0));
    assert_eq!(p.eta(ms(400), 1, Duration::ZERO), ms(600));
    // The estimate changes nothing.
    assert_eq!(p.wait(ms(400)), ms(600));
}

/// The estimate before a job (the schedule at the mean round trip measured so far) against the
/// job as the pacer then runs it, round trips uneven around that mean: the table of issue 25.
#[test]
fn the_estimate_is_within_ten_percent_of_the_run() {
    // 300 ms: a PUT to api.github.com from a hosted runner is some hundreds of milliseconds;
    // 2 ms: the fake of the benchmarks.
    for mean in [ms(300), ms(2)] {
        for n in [20, 450, 501, 1000, 2000] {
            let mut before = Pacer::default();
            for r in uneven(8, mean) {
                before.observe_round_trip(r); // the key reads before the first write
            }
            let estimate = before.eta(S(0), n, before.mean_round_trip());
            let mut p = Pacer::default();
            let w = drive(&mut p, S(0), &uneven(n, mean));
            let actual = w.last().map_or(S(0), |w| w.answered);
            let off = estimate.as_secs_f64() / actual.as_secs_f64() - 1.0;
            assert!(
                off.abs() <= 0.10,
                "{n} writes at {mean:?}: estimate {estimate:?}, actual {actual:?}"
            );
            // What is said before a long run is the floor (no round trip counted): "at
            // least", never more than the run, and within 10 % of it from 501 writes on.
            let floor = Pacer::default().eta(S(0), n, Duration::ZERO);
            assert!(floor <= actual);
            if n > 500 {
                assert!(
                    floor.as_secs_f64() >= actual.as_secs_f64() * 0.9,
                    "{n} at {mean:?}"
                );
            }
        }
    }
}

#[test]
fn round_trips_average() {
    let mut p = Pacer::default();
    assert_eq!(p.mean_round_trip(), Duration::ZERO);
    p.observe_round_trip(ms(100));
    p.observe_round_trip(ms(300));
    assert_eq!(p.mean_round_trip(), ms(200));
}

#[test]
fn a_window_of_zero_lets_one_through() {
    static NONE: [Window; 1] = [Window {
        limit: 0,
        length: Duration::from_secs(10),
    }];
    let mut p = Pacer::new(Rules {
        pause: Duration::ZERO,
        windows: &NONE,
    });
    assert_eq!(p.wait(S(0)), Duration::ZERO);
    p.record(S(0));
    assert_eq!(p.wait(S(0)), S(10));
}

#[test]
fn a_clock_that_goes_back_never_underflows() {
    let mut p = Pacer::default();
    p.record(S(100));
    p.record(S(50));
    assert_eq!(p.wait(S(10)), S(91));
    assert_eq!(p.wait(Duration::MAX), Duration::ZERO);
    assert_eq!(p.eta(Duration::MAX, 3, Duration::MAX), Duration::ZERO);
}
