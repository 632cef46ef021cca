//! Per-thread pools of emptied buffers. A result's lists (its typed values,
//! its trace) go back here when it is dropped and serve the next record on
//! that thread, so a steady run allocates nothing for them.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Emptied buffers of one element type, for one thread.
pub(crate) type Pool<T> = RefCell<Vec<Vec<T>>>;

/// Buffers kept per thread, and the largest kept: enough for a record's
/// lists; anything past that is freed as usual.
const KEEP: usize = 16;
const MAX_CAPACITY: usize = 4096;

/// A spare buffer of this thread, or a new empty one.
pub(crate) fn take<T: 'static>(pool: &'static LocalKey<Pool<T>>) -> Vec<T> {
    pool.try_with(|p| p.try_borrow_mut().ok()?.pop()).ok().flatten().unwrap_or_default()
}

/// Keeps `buf` (already emptied) for the next record on this thread.
pub(crate) fn give_back<T: 'static>(pool: &'static LocalKey<Pool<T>>, buf: &mut Vec<T>) {
    let cap = buf.capacity();
    if cap == 0 || cap > MAX_CAPACITY || !buf.is_empty() {
        return;
    }
    let buf = std::mem::take(buf);
    // During thread teardown the pool may be gone; the buffer is then freed.
    let _ = pool.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            if p.len() < KEEP {
                p.push(buf);
            }
        }
    });
}
