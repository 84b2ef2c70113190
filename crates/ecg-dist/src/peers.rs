//! Which rank was lost, from the heartbeats in the group's store. Every rank's heartbeat
//! thread (in the C++ shim) increments its counter `hb/<rank>` twice a second; a rank whose
//! collective failed records `failed/<rank>`. A survivor reads both counters twice, a window
//! apart: the ranks whose heartbeat did not advance, and which did not report a failure of
//! their own, are lost (exited, killed or stopped). This module is the pure part: judging two
//! readings and wording the verdict.
use std::fmt;
use std::time::Duration;

/// How long a survivor watches the heartbeats (at most the group's timeout).
pub(crate) const WINDOW: Duration = Duration::from_secs(2);

/// One reading of the store's counters, indexed by rank.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Reading {
    /// `hb/<rank>`: heartbeats so far.
    pub beats: Vec<i64>,
    /// `failed/<rank>`: collectives that rank saw fail (it is a survivor, not lost).
    pub failed: Vec<i64>,
}

/// Who hosts the group's store: rank 0, or torchrun's agent (`TORCHELASTIC_USE_AGENT_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreHost {
    Rank0,
    Agent,
}

/// What a survivor can say about the other ranks after a collective failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// These ranks' heartbeats stopped for the whole window.
    Lost { ranks: Vec<usize>, window: Duration },
    /// Every other rank's heartbeat advanced (or it reported a failure itself).
    NoneLost { window: Duration },
    /// The store could not be read: its host is gone or stopped.
    StoreUnreachable {
        host: StoreHost,
        addr: String,
        message: String,
    },
}

impl Verdict {
    /// The ranks named lost (none for the other verdicts).
    pub(crate) fn lost_ranks(&self) -> &[usize] {
        match self {
            Verdict::Lost { ranks, .. } => ranks,
            _ => &[],
        }
    }
}

/// The ranks other than `me` whose heartbeat did not advance from `before` to `after` and
/// that did not report a failure of their own.
pub(crate) fn lost_ranks(me: usize, before: &Reading, after: &Reading) -> Vec<usize> {
    let n = before.beats.len().min(after.beats.len());
    (0..n)
        .filter(|&r| r != me)
        .filter(|&r| after.beats[r] <= before.beats[r])
        .filter(|&r| after.failed.get(r).copied().unwrap_or(0) == 0)
        .collect()
}

/// The verdict from two readings taken `window` apart.
pub(crate) fn judge(me: usize, before: &Reading, after: &Reading, window: Duration) -> Verdict {
    let ranks = lost_ranks(me, before, after);
    if ranks.is_empty() {
        Verdict::NoneLost { window }
    } else {
        Verdict::Lost { ranks, window }
    }
}

/// "1", "1 and 2", "1, 2 and 3".
fn rank_list(ranks: &[usize]) -> String {
    let names: Vec<String> = ranks.iter().map(usize::to_string).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Lost { ranks, window } if ranks.len() == 1 => write!(
                f,
                "rank {} is lost (no heartbeat for {window:?}: it exited or stopped \
                 responding; see its log)",
                ranks[0]
            ),
            Verdict::Lost { ranks, window } => write!(
                f,
                "ranks {} are lost (no heartbeat for {window:?}: they exited or stopped \
                 responding; see their logs)",
                rank_list(ranks)
            ),
            Verdict::NoneLost { window } => write!(
                f,
                "no rank is known lost (every rank's heartbeat advanced within {window:?}: \
                 one may be stuck in its own code; see the ranks' logs)"
            ),
            Verdict::StoreUnreachable {
                host: StoreHost::Rank0,
                addr,
                message,
            } => write!(
                f,
                "the store (hosted by rank 0 at {addr}) is unreachable: rank 0 is lost (it \
                 exited or stopped responding; see its log) [{message}]"
            ),
            Verdict::StoreUnreachable {
                host: StoreHost::Agent,
                addr,
                message,
            } => write!(
                f,
                "the store (hosted by torchrun's agent at {addr}) is unreachable: the agent \
                 died or the network failed [{message}]"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(beats: &[i64], failed: &[i64]) -> Reading {
        Reading {
            beats: beats.to_vec(),
            failed: failed.to_vec(),
        }
    }

    #[test]
    fn a_rank_whose_heartbeat_stopped_is_lost() {
        let before = reading(&[5, 7, 6], &[1, 0, 0]);
        let after = reading(&[9, 11, 6], &[1, 0, 0]);
        assert_eq!(lost_ranks(0, &before, &after), [2]);
        let v = judge(0, &before, &after, WINDOW);
        assert_eq!(
            v,
            Verdict::Lost {
                ranks: vec![2],
                window: WINDOW
            }
        );
        assert_eq!(v.lost_ranks(), [2]);
        assert!(Verdict::NoneLost { window: WINDOW }.lost_ranks().is_empty());
    }

    #[test]
    fn survivors_are_not_lost_even_when_their_heartbeat_stopped() {
        // Rank 0 failed too and exited during rank 1's window; rank 2 is the lost one.
        let before = reading(&[5, 7, 6], &[1, 1, 0]);
        let after = reading(&[5, 11, 6], &[1, 1, 0]);
        assert_eq!(lost_ranks(1, &before, &after), [2]);
        // A failure recorded during the window counts too.
        let after = reading(&[5, 11, 6], &[1, 1, 1]);
        assert_eq!(
            judge(1, &before, &after, WINDOW),
            Verdict::NoneLost { window: WINDOW }
        );
    }

    #[test]
    fn the_judging_rank_never_names_itself() {
        let r = reading(&[3, 3], &[0, 0]);
        assert_eq!(lost_ranks(0, &r, &r), [1]);
        assert_eq!(lost_ranks(1, &r, &r), [0]);
        assert!(lost_ranks(0, &reading(&[3], &[0]), &reading(&[3], &[0])).is_empty());
    }

    #[test]
    fn verdicts_name_the_ranks() {
        let w = Duration::from_secs(2);
        let one = Verdict::Lost {
            ranks: vec![1],
            window: w,
        };
        assert_eq!(
            one.to_string(),
            "rank 1 is lost (no heartbeat for 2s: it exited or stopped responding; see its log)"
        );
        let many = Verdict::Lost {
            ranks: vec![1, 2, 3],
            window: w,
        };
        assert!(
            many.to_string().starts_with("ranks 1, 2 and 3 are lost"),
            "{many}"
        );
        assert_eq!(rank_list(&[4, 5]), "4 and 5");
        let none = Verdict::NoneLost { window: w }.to_string();
        assert!(none.starts_with("no rank is known lost"), "{none}");
        let store = Verdict::StoreUnreachable {
            host: StoreHost::Rank0,
            addr: "127.0.0.1:29500".into(),
            message: "Connection refused".into(),
        }
        .to_string();
        assert!(
            store.starts_with(
                "the store (hosted by rank 0 at 127.0.0.1:29500) is unreachable: rank 0 is lost"
            ) && store.ends_with("[Connection refused]"),
            "{store}"
        );
        let agent = Verdict::StoreUnreachable {
            host: StoreHost::Agent,
            addr: "n1:29400".into(),
            message: "timeout".into(),
        }
        .to_string();
        assert!(agent.contains("torchrun's agent at n1:29400"), "{agent}");
    }
}
