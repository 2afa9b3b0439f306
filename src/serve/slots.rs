//! Connection slots: at most `capacity` connections open at once, and none
//! of them can keep a newcomer out except while it is being answered after
//! a successful authentication. When every slot is taken, the connection
//! that has waited longest without such a request (idle keep-alive, headers
//! or body still arriving, a failed attempt's delay) is closed to make room.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::Notify;

pub struct Slots {
    capacity: usize,
    epoch: Instant,
    table: Mutex<Table>,
    freed: Notify,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    open: HashMap<u64, Arc<SlotState>>,
    /// Connections told to close that have not gone yet.
    closing: usize,
}

/// One connection's state, shared between its task and the table.
pub struct SlotState {
    /// Authenticated requests being answered: the connection is not shed meanwhile.
    working: AtomicU32,
    /// When it last stopped working (or opened), in µs since `Slots::epoch`.
    waiting_since: AtomicU64,
    shed: AtomicBool,
    /// Wakes the connection's task to close it.
    close: Notify,
}

/// A slot held by one connection; the slot is freed when this is dropped.
pub struct Slot {
    id: u64,
    handle: SlotHandle,
}

/// What a connection's requests need of its slot.
#[derive(Clone)]
pub struct SlotHandle {
    slots: Arc<Slots>,
    state: Arc<SlotState>,
}

/// Marks a connection as answering an authenticated request while it lives.
pub struct Working {
    handle: SlotHandle,
}

impl Slots {
    pub fn new(capacity: usize) -> Arc<Slots> {
        Arc::new(Slots {
            capacity: capacity.max(1),
            epoch: Instant::now(),
            table: Mutex::default(),
            freed: Notify::new(),
        })
    }

    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// A slot for a new connection: a free one, else one taken back from
    /// the connection that has waited longest; when every connection is
    /// answering an authenticated request, waits for one to finish.
    pub async fn admit(self: &Arc<Self>) -> Slot {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if let Some(slot) = self.try_admit() {
                return slot;
            }
            freed.await;
        }
    }

    fn try_admit(self: &Arc<Self>) -> Option<Slot> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table.open.len() - table.closing >= self.capacity {
            let victim = table
                .open
                .values()
                .filter(|s| !s.shed.load(Ordering::Relaxed) && s.working.load(Ordering::Relaxed) == 0)
                .min_by_key(|s| s.waiting_since.load(Ordering::Relaxed))
                .cloned()?;
            victim.shed.store(true, Ordering::Relaxed);
            victim.close.notify_one();
            table.closing += 1;
        }
        let id = table.next_id;
        table.next_id += 1;
        let state = Arc::new(SlotState {
            working: AtomicU32::new(0),
            waiting_since: AtomicU64::new(self.now_us()),
            shed: AtomicBool::new(false),
            close: Notify::new(),
        });
        table.open.insert(id, Arc::clone(&state));
        Some(Slot {
            id,
            handle: SlotHandle {
                slots: Arc::clone(self),
                state,
            },
        })
    }

    /// Connections open now (for tests).
    #[cfg(test)]
    pub fn open(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .open
            .len()
    }
}

impl Slot {
    pub fn handle(&self) -> SlotHandle {
        self.handle.clone()
    }

    /// Resolves when the slot is taken back for a newcomer.
    pub async fn shed(&self) {
        self.handle.state.close.notified().await;
    }

    #[cfg(test)]
    fn is_shed(&self) -> bool {
        self.handle.state.shed.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    fn working(&self) -> Working {
        self.handle.working()
    }
}

impl SlotHandle {
    /// Call once the request has proved it holds the secret.
    pub fn working(&self) -> Working {
        self.state.working.fetch_add(1, Ordering::Relaxed);
        Working { handle: self.clone() }
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        let state = &self.handle.state;
        state
            .waiting_since
            .store(self.handle.slots.now_us(), Ordering::Relaxed);
        state.working.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let slots = &self.handle.slots;
        let mut table = slots.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(state) = table.open.remove(&self.id)
            && state.shed.load(Ordering::Relaxed)
        {
            table.closing -= 1;
        }
        drop(table);
        slots.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_longest_waiting_connection_makes_room_and_working_ones_stay() {
        let slots = Slots::new(2);
        let first = slots.admit().await;
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let second = slots.admit().await;
        let _busy = second.working();
        // Full: the first (idle, oldest) is told to close, the newcomer gets in.
        let third = slots.admit().await;
        assert!(first.is_shed());
        assert!(!second.is_shed());
        // Full again, with the first still closing: the third is the one shed.
        let fourth = slots.try_admit().expect("room from the third");
        assert!(third.is_shed());
        let fourth_busy = fourth.working();
        assert!(slots.try_admit().is_none(), "every connection left is working");
        drop(first);
        drop(third);
        assert_eq!(slots.open(), 2);
        assert!(slots.try_admit().is_none(), "the closed ones free nothing more");
        drop(fourth_busy);
        drop(fourth);
        let _fifth = slots.admit().await;
    }
}
