//! One queue for everything that enters the widget: timers, answers, listeners and the page's
//! handle calls. A call that arrives while the widget is already running (a page callback that
//! calls `destroy()` in `onConnected`, `restart()` in `onError`, or the driver feeding back an
//! event from within a command) is queued and runs right after the current one: never dropped,
//! never a re-entrant borrow.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::cell::{Cell, RefCell};

type Task = Box<dyn FnOnce()>;

struct Queue {
    busy: Cell<bool>,
    tasks: RefCell<VecDeque<Task>>,
}

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread (the same reason
// the allocator in lib.rs is sound); this static is never shared across threads.
unsafe impl Sync for Queue {}

static QUEUE: Queue = Queue {
    busy: Cell::new(false),
    tasks: RefCell::new(VecDeque::new()),
};

/// Runs `f` now when nothing else runs (`Some` of its result), else queues it (`None`: its
/// result is dropped, so callers check what can fail before). Then runs what was queued
/// meanwhile, in order.
pub(crate) fn run<R: 'static>(f: impl FnOnce() -> R + 'static) -> Option<R> {
    if QUEUE.busy.replace(true) {
        if let Ok(mut q) = QUEUE.tasks.try_borrow_mut() {
            q.push_back(Box::new(move || drop(f())));
        }
        return None;
    }
    let result = f();
    drain();
    Some(result)
}

/// Runs what was queued, in order, then frees the queue. Not generic: one copy for every
/// caller of [`run`].
#[inline(never)]
fn drain() {
    loop {
        let next = QUEUE
            .tasks
            .try_borrow_mut()
            .ok()
            .and_then(|mut q| q.pop_front());
        match next {
            Some(task) => task(),
            None => break,
        }
    }
    QUEUE.busy.set(false);
}
