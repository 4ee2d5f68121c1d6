//! Wake-ups of members' notification streams (server-sent events) when their inbox changes.
//!
//! On PostgreSQL each API process runs one [`listen`] task: it listens on the inbox channel
//! (`storage::listen::INBOX_CHANNEL`, notified by triggers on `notifications` whenever any process
//! — a notifier, another API node — inserts items or marks them read) and wakes the streams of the
//! members a notification names, or every stream for a broadcast or after the listening
//! connection dropped. A stream ([`InboxWatch`]) waits for its wake-up or, at the latest, for its
//! idle period, then looks at the database once. Wake-ups are counters, not events, so one sent
//! while the stream was busy reading is not lost: its next wait returns at once. On SQLite there is
//! no listener ([`InboxWakes::listening`] stays false) and streams poll.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use membership::MemberId;
use storage::listen::{InboxChange, InboxListener};
use tokio::sync::watch;
use tracing::{info, warn};

/// How long the listener waits before connecting again after its connection failed.
pub const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The process's registry of open streams, by member.
#[derive(Debug)]
pub struct InboxWakes {
    members: Mutex<HashMap<MemberId, watch::Sender<u64>>>,
    all: watch::Sender<u64>,
    listening: AtomicBool,
}

impl Default for InboxWakes {
    fn default() -> Self {
        Self { members: Mutex::new(HashMap::new()), all: watch::Sender::new(0), listening: AtomicBool::new(false) }
    }
}

impl InboxWakes {
    /// Whether the listener is connected: streams may then wait long between looks.
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Open streams' members (a gauge for operators, and tests).
    pub fn watched_members(&self) -> usize {
        self.members.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// A stream's subscription to `member`'s wake-ups (and to broadcasts).
    pub fn watch(self: &Arc<Self>, member: MemberId) -> InboxWatch {
        let mine = {
            let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
            members.entry(member).or_insert_with(|| watch::Sender::new(0)).subscribe()
        };
        InboxWatch { wakes: self.clone(), member, mine: Some(mine), all: self.all.subscribe() }
    }

    /// Wakes the streams of `members` (those with no stream open here are passed over).
    pub fn wake(&self, members: &[MemberId]) {
        let map = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        for m in members {
            if let Some(sender) = map.get(m) {
                sender.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// Wakes every stream.
    pub fn wake_all(&self) {
        self.all.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn apply(&self, change: InboxChange) {
        match change {
            InboxChange::Members(ids) => self.wake(&ids.into_iter().map(MemberId::from_uuid).collect::<Vec<_>>()),
            InboxChange::All => self.wake_all(),
        }
    }

    fn set_listening(&self, on: bool) {
        self.listening.store(on, Ordering::SeqCst);
        // Streams waiting with the other period look now and take up the new one.
        self.wake_all();
    }
}

/// One stream's subscription; dropping it forgets the member once their last stream here closed.
#[derive(Debug)]
pub struct InboxWatch {
    wakes: Arc<InboxWakes>,
    member: MemberId,
    mine: Option<watch::Receiver<u64>>,
    all: watch::Receiver<u64>,
}

impl InboxWatch {
    /// Waits for a wake-up of this member's inbox (or a broadcast), returning at once if one came
    /// since the last wait, or until `idle` has passed.
    pub async fn wait(&mut self, idle: Duration) {
        let Some(mine) = self.mine.as_mut() else {
            tokio::time::sleep(idle).await;
            return;
        };
        tokio::select! {
            r = mine.changed() => if r.is_err() { tokio::time::sleep(idle).await },
            r = self.all.changed() => if r.is_err() { tokio::time::sleep(idle).await },
            () = tokio::time::sleep(idle) => {}
        }
    }
}

impl Drop for InboxWatch {
    fn drop(&mut self) {
        drop(self.mine.take());
        let mut members = self.wakes.members.lock().unwrap_or_else(PoisonError::into_inner);
        if members.get(&self.member).is_some_and(|s| s.receiver_count() == 0) {
            members.remove(&self.member);
        }
    }
}

/// The listener task of one API process: runs until the process ends (on SQLite it returns at
/// once). A failed or dropped connection wakes every stream (what was notified meanwhile is
/// unknown), switches them to polling, and is retried after [`RECONNECT_AFTER`].
pub async fn listen(db: storage::Database, wakes: Arc<InboxWakes>) {
    loop {
        match InboxListener::connect(&db).await {
            Ok(None) => return,
            Ok(Some(mut listener)) => {
                info!("notification streams: listening for inbox changes");
                // Anything written before the listener was up is looked for by every stream.
                wakes.set_listening(true);
                loop {
                    match listener.next().await {
                        Ok(change) => wakes.apply(change),
                        Err(e) => {
                            warn!(error = %e, "notification streams: the inbox listener failed; streams poll until it is back");
                            break;
                        }
                    }
                }
                wakes.set_listening(false);
            }
            Err(e) => warn!(error = %e, "notification streams: cannot listen for inbox changes; streams poll"),
        }
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(n: u128) -> MemberId {
        MemberId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[tokio::test]
    async fn a_wake_up_sent_while_the_stream_was_busy_is_not_lost() {
        let wakes = Arc::new(InboxWakes::default());
        let mut w = wakes.watch(member(1));
        wakes.wake(&[member(1)]);
        // Not waiting when woken: the next wait returns at once, not after the idle period.
        tokio::time::timeout(Duration::from_secs(5), w.wait(Duration::from_secs(3600))).await.expect("woken");
        // Nothing new since: the wait runs to its idle period.
        assert!(tokio::time::timeout(Duration::from_millis(50), w.wait(Duration::from_secs(3600))).await.is_err());
    }

    #[tokio::test]
    async fn others_wake_ups_pass_a_stream_over_and_broadcasts_reach_it() {
        let wakes = Arc::new(InboxWakes::default());
        let mut w = wakes.watch(member(1));
        wakes.wake(&[member(2)]);
        assert!(tokio::time::timeout(Duration::from_millis(50), w.wait(Duration::from_secs(3600))).await.is_err());
        wakes.apply(InboxChange::All);
        tokio::time::timeout(Duration::from_secs(5), w.wait(Duration::from_secs(3600))).await.expect("broadcast");
    }

    #[tokio::test]
    async fn the_registry_forgets_a_member_when_their_last_stream_closes() {
        let wakes = Arc::new(InboxWakes::default());
        let a = wakes.watch(member(1));
        let b = wakes.watch(member(1));
        let c = wakes.watch(member(2));
        assert_eq!(wakes.watched_members(), 2);
        drop(a);
        assert_eq!(wakes.watched_members(), 2, "member 1 still has a stream");
        drop(b);
        drop(c);
        assert_eq!(wakes.watched_members(), 0);
    }
}
