//! What a running job is asked to do between two optimizer steps: stop (a signal from a
//! scheduler or a user), or write its last checkpoint now (`train.checkpoint_every_steps`,
//! `train.checkpoint_every_minutes`). Every rank must decide the same thing at the same
//! step, so the decision travels as [`SLOTS`] extra values in what a step already reduces
//! over the ranks (its loss): [`Control::offer`] fills this rank's flags before the
//! reduction, [`Control::agree`] reads the reduced ones after it. A flag any rank raised
//! counts for all (the reduction sums or averages non-negative values), so no collective is
//! added for it.
//!
//! Signals ([`install_signal_handlers`], through the `signal-hook` crate): the first
//! SIGTERM, SIGINT or SIGUSR1 only raises the stop flag — every rank finishes its step,
//! they agree on the stop step, the last checkpoint is written and the process exits with
//! [`EXIT_STOPPED`]. A second one exits at once with 128 + the signal's number; checkpoint
//! files are written into a staging folder and renamed into place
//! ([`crate::checkpoint::write_together`]), so nothing half-written is ever read back.
//! SIGXFSZ is caught too, so that a write past a file-size limit fails with EFBIG (an
//! error naming the file) instead of killing the process.
use crate::config::RunConfig;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Exit code of a run that a signal stopped after it wrote its last checkpoint:
/// `EX_TEMPFAIL` of sysexits.h ("try again later"); the same command with `--resume auto`
/// continues it.
pub const EXIT_STOPPED: i32 = 75;

/// Values a step adds to its reduction: [stop requested, checkpoint due].
pub const SLOTS: usize = 2;

/// The signal that asked this process to stop (0: none).
static REQUESTED: AtomicUsize = AtomicUsize::new(0);
/// Set by the first stop signal; arms the immediate exit on the next one.
static ARMED: AtomicBool = AtomicBool::new(false);
/// Set by SIGXFSZ (only caught so that the write fails with EFBIG).
static FILE_TOO_LARGE: AtomicBool = AtomicBool::new(false);

/// Installs the handlers of SIGTERM, SIGINT, SIGUSR1 (stop after the current step; a
/// second one exits at once) and SIGXFSZ (ignored: writes fail with EFBIG). For the
/// training commands' processes; a library caller that does not install them is never
/// stopped by a signal through [`Control`].
#[cfg(unix)]
pub fn install_signal_handlers() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1, SIGXFSZ};
    use signal_hook::flag;
    for sig in [SIGTERM, SIGINT, SIGUSR1] {
        // Registration order is call order: the shutdown must see the flag of the
        // previous signal, before this one sets it.
        flag::register_conditional_shutdown(sig, 128 + sig, &ARMED)?;
        flag::register(sig, &ARMED)?;
        flag::register_usize(sig, &REQUESTED, sig as usize)?;
    }
    flag::register(SIGXFSZ, &FILE_TOO_LARGE)?;
    Ok(())
}

/// Without Unix signals there is nothing to install.
#[cfg(not(unix))]
pub fn install_signal_handlers() -> std::io::Result<()> {
    Ok(())
}

/// The signal that asked this process to stop, if one did.
pub fn stop_signal() -> Option<i32> {
    match REQUESTED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s as i32),
    }
}

/// Asks this process to stop after its current step, as a signal would (for callers that
/// learn of a preemption another way, and for tests).
pub fn request_stop(signal: i32) {
    ARMED.store(true, Ordering::SeqCst);
    REQUESTED.store(signal.max(1) as usize, Ordering::SeqCst);
}

/// A signal's name (`SIGTERM`), or its number.
pub fn signal_name(sig: i32) -> String {
    #[cfg(unix)]
    if let Some(n) = signal_hook::low_level::signal_name(sig) {
        return n.to_string();
    }
    format!("signal {sig}")
}

/// Why a run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// `train.stop_after_steps` was reached.
    AfterSteps,
    /// A signal: this process's own (its number), or another rank's (None).
    Signal(Option<i32>),
}

impl Stop {
    /// How the stop reads in a log line.
    pub fn describe(&self) -> String {
        match self {
            Stop::AfterSteps => "train.stop_after_steps".into(),
            Stop::Signal(Some(s)) => signal_name(*s),
            Stop::Signal(None) => "another rank's stop signal".into(),
        }
    }
}

/// What every rank does after a step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decision {
    /// Write the last checkpoint and stop.
    pub stop: bool,
    /// Write the last checkpoint and go on.
    pub checkpoint: bool,
}

/// The per-run side of the control: the checkpoint period and rank 0's clock.
#[derive(Debug, Clone)]
pub struct Control {
    every_steps: Option<usize>,
    every: Option<Duration>,
    /// Whether this rank's clock decides the timed checkpoints (rank 0).
    clock: bool,
    last_checkpoint: Instant,
}

impl Control {
    /// The control of a run with `cfg`, on rank `rank`.
    pub fn new(cfg: &RunConfig, rank: usize) -> Control {
        Control {
            every_steps: cfg.checkpoint_every_steps,
            every: cfg
                .checkpoint_every_minutes
                .map(|m| Duration::from_secs_f64(m * 60.0)),
            clock: rank == 0,
            last_checkpoint: Instant::now(),
        }
    }

    /// This rank's flags for the step's reduction, at time `now`.
    pub fn offer(&self, slots: &mut [f64], now: Instant) {
        let due = self.clock
            && self
                .every
                .is_some_and(|d| now.duration_since(self.last_checkpoint) >= d);
        slots[0] = f64::from(u8::from(stop_signal().is_some()));
        slots[1] = f64::from(u8::from(due));
    }

    /// The decision from the reduced flags (the same on every rank), for the step that
    /// brings the run to `step_after` optimizer steps.
    pub fn agree(&self, slots: &[f64], step_after: usize) -> Decision {
        let periodic = self.every_steps.is_some_and(|n| step_after % n == 0);
        Decision {
            stop: slots[0] > 0.0,
            checkpoint: slots[1] > 0.0 || periodic,
        }
    }

    /// Raises this rank's flags (stop: slot 0, timed checkpoint due: slot 1 of the reserved
    /// control range) in the step log's next step; they travel in the step's one
    /// all-reduce and are seen at the next read of the log ([`Control::decide`]).
    pub fn offer_to(&self, log: &mut crate::steplog::StepLog, now: Instant) {
        let mut slots = [0.0; SLOTS];
        self.offer(&mut slots, now);
        for (i, s) in slots.iter().enumerate() {
            if *s > 0.0 {
                log.raise(i);
            }
        }
    }

    /// Whether `train.checkpoint_every_steps` falls on `step_after` (known on every rank
    /// without reading the log).
    pub fn step_checkpoint_due(&self, step_after: usize) -> bool {
        self.every_steps.is_some_and(|n| step_after % n == 0)
    }

    /// The decision from the control flags of a read of the step log (any rank's raise in
    /// any step of the window), for the step that brings the run to `step_after` steps.
    /// The log is read at the same steps on every rank, so every rank decides alike.
    pub fn decide(&self, flags: &[bool], step_after: usize) -> Decision {
        let mut slots = [0.0; SLOTS];
        for (s, &f) in slots.iter_mut().zip(flags) {
            *s = f64::from(u8::from(f));
        }
        self.agree(&slots, step_after)
    }

    /// A checkpoint was written at `now`: the timed period starts again.
    pub fn checkpointed(&mut self, now: Instant) {
        self.last_checkpoint = now;
    }

    /// Why the agreed stop happened, as this rank knows it.
    pub fn stop_reason() -> Stop {
        Stop::Signal(stop_signal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: Option<usize>, minutes: Option<f64>) -> RunConfig {
        let text = "epochs = 1\nbatch_size = 2\nseed = 0\noutput_dir = \"x\"\n";
        let mut c: RunConfig = toml::from_str(text).expect("parse");
        c.checkpoint_every_steps = steps;
        c.checkpoint_every_minutes = minutes;
        c
    }

    /// The reduction: every rank's slots summed then divided by the world size.
    fn reduce(ranks: &[[f64; SLOTS]]) -> [f64; SLOTS] {
        let mut out = [0.0; SLOTS];
        for r in ranks {
            for (o, v) in out.iter_mut().zip(r) {
                *o += v / ranks.len() as f64;
            }
        }
        out
    }

    #[test]
    fn rank_0s_clock_decides_the_timed_checkpoint_for_every_rank() {
        let c0 = Control::new(&run(None, Some(1.0)), 0);
        let c1 = Control::new(&run(None, Some(1.0)), 1);
        let t = c0.last_checkpoint;
        let (mut s0, mut s1) = ([0.0; SLOTS], [0.0; SLOTS]);
        c0.offer(&mut s0, t + Duration::from_secs(30));
        c1.offer(&mut s1, t + Duration::from_secs(600));
        let r = reduce(&[s0, s1]);
        assert_eq!(c0.agree(&r, 5), c1.agree(&r, 5));
        assert!(!c0.agree(&r, 5).checkpoint, "rank 1's clock decided");
        c0.offer(&mut s0, t + Duration::from_secs(61));
        let r = reduce(&[s0, s1]);
        assert!(c0.agree(&r, 6).checkpoint && c1.agree(&r, 6).checkpoint);
        let mut c0 = c0;
        c0.checkpointed(t + Duration::from_secs(61));
        c0.offer(&mut s0, t + Duration::from_secs(62));
        assert_eq!(s0[1], 0.0, "the period starts again after a checkpoint");
    }

    #[test]
    fn step_period_and_one_ranks_stop_flag_count_for_all() {
        let c = Control::new(&run(Some(4), None), 1);
        assert!(c.agree(&[0.0, 0.0], 8).checkpoint);
        assert!(!c.agree(&[0.0, 0.0], 9).checkpoint);
        // One rank of four raised its stop flag: a quarter after the mean.
        let r = reduce(&[[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]);
        assert!(c.agree(&r, 9).stop);
        assert!(!c.agree(&[0.0, 0.0], 9).stop);
    }
}
