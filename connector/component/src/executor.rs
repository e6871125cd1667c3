//! A single-threaded executor whose waits outlive an export call.
//!
//! WASI 0.2 exports are synchronous, and an import hands its results over
//! one `next` at a time, so its future is suspended between calls with
//! requests in flight and timers running. Every wait registers its `wasi:io`
//! pollable here, in a registry that lives as long as the instance;
//! [`run_until`] polls a future and, while it waits, blocks in
//! `wasi:io/poll.poll` on every registered pollable, waking the waits that
//! are ready. A future that yields (wakes itself and returns pending) is
//! polled again at once, after the waits whose pollables are already ready
//! have been woken without blocking: a long piece of work that yields now
//! and then lets a response that came in meanwhile be taken. A wait removes its registration when it is dropped, so a
//! pollable never outlives the resource it watches.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use wasip2::clocks::monotonic_clock;
use wasip2::io::poll::{Pollable, poll};

/// One wait in the registry: what it waits on and whom to wake.
struct Registration {
    id: u64,
    pollable: Rc<Pollable>,
    waker: Waker,
}

thread_local! {
    /// The waits pending, across export calls.
    static WAITING: RefCell<Vec<Registration>> = const { RefCell::new(Vec::new()) };
    /// The id the next wait gets.
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Waits until `pollable` is ready.
pub fn wait(pollable: Pollable) -> Wait {
    Wait {
        pollable: Rc::new(pollable),
        id: None,
    }
}

/// A future that is ready when its pollable is.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Wait {
    pollable: Rc<Pollable>,
    /// Its registration, while it is pending.
    id: Option<u64>,
}

impl Future for Wait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.pollable.ready() {
            self.deregister();
            return Poll::Ready(());
        }
        let id = *self.id.get_or_insert_with(|| {
            NEXT_ID.with(|next| {
                let id = next.get();
                next.set(id + 1);
                id
            })
        });
        let pollable = self.pollable.clone();
        WAITING.with_borrow_mut(|waiting| match waiting.iter_mut().find(|r| r.id == id) {
            Some(registration) => registration.waker.clone_from(cx.waker()),
            None => waiting.push(Registration {
                id,
                pollable,
                waker: cx.waker().clone(),
            }),
        });
        Poll::Pending
    }
}

impl Wait {
    fn deregister(&mut self) {
        if let Some(id) = self.id.take() {
            WAITING.with_borrow_mut(|waiting| waiting.retain(|r| r.id != id));
        }
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        self.deregister();
    }
}

/// Polls `future` until it completes, or until `enough` says to stop while
/// it waits or yields; `None` then, and the future may be polled on later, in this
/// call or another.
pub fn run_until<F: Future + ?Sized>(
    mut future: Pin<&mut F>,
    enough: impl Fn() -> bool,
) -> Option<F::Output> {
    let woken = Arc::new(Woken::default());
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        // A future that woke itself yielded to let others in: those whose
        // pollables are ready are woken too, without waiting for any.
        let yielded = woken.0.swap(false, Ordering::Relaxed);
        if yielded {
            wake_ready(false);
        }
        if enough() {
            return None;
        }
        if !yielded {
            wake_ready(true);
        }
    }
}

/// Polls `future` to its end.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let future = std::pin::pin!(future);
    run_until(future, || false).expect("run_until only stops when told")
}

/// Wakes the waits whose pollables are ready; when `block`, first waits
/// until one is.
fn wake_ready(block: bool) {
    let waiting: Vec<(u64, Rc<Pollable>)> =
        WAITING.with_borrow(|waiting| waiting.iter().map(|r| (r.id, r.pollable.clone())).collect());
    if waiting.is_empty() {
        assert!(!block, "a future is pending with nothing to wait for");
        return;
    }
    // `poll` returns as soon as one pollable is ready, with every other one
    // that is: a timer due now keeps it from blocking.
    let now = (!block).then(|| monotonic_clock::subscribe_duration(0));
    let mut pollables: Vec<&Pollable> = waiting.iter().map(|(_, p)| p.as_ref()).collect();
    pollables.extend(now.as_ref());
    let ready: Vec<u64> = poll(&pollables)
        .into_iter()
        .filter_map(|index| waiting.get(index as usize).map(|(id, _)| *id))
        .collect();
    drop(pollables);
    let wakers: Vec<Waker> = WAITING.with_borrow_mut(|waiting| {
        let (woken, pending) = std::mem::take(waiting)
            .into_iter()
            .partition(|r| ready.contains(&r.id));
        *waiting = pending;
        woken.into_iter().map(|r: Registration| r.waker).collect()
    });
    drop(waiting);
    wakers.into_iter().for_each(Waker::wake);
}

/// The top-level waker: notes that the future woke itself.
#[derive(Debug, Default)]
struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}
