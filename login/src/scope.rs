//! Which request's login the code running now belongs to.
//!
//! The middleware does not put anything in the request: actix builds a new
//! extensions map for every request, and one more entry there costs an
//! allocation and often growing the map — on every request, including those
//! that never ask for the user. Instead, while the middleware polls the
//! request's inner future (where handlers, their extractors and inner
//! middleware run), a thread-local names the middleware's [`StateSource`]
//! and, once something asked, the request's state. A request that never
//! asks costs two writes of that thread-local per poll.
//!
//! Why it cannot mix requests up: the thread-local is set only for the
//! duration of one poll of one request's future, and restored (also on
//! panic) before the poll returns; actix runs each worker on one thread, and
//! a poll is never interleaved with another on the same thread except by
//! nesting, which the save-and-restore handles (an inner `LoginManager`
//! shadows an outer one, as scopes do). A state's index is freed only when
//! the future that owns it finishes or is dropped. Code that runs outside
//! the request's future — a task spawned by a handler, a middleware wrapped
//! outside the `LoginManager` — finds no login, and gets the error that
//! says so.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use crate::state::{ErasedState, StateSource};

const NONE: u32 = u32::MAX;

thread_local! {
    /// (source, state) of the request whose future is being polled.
    static CURRENT: Cell<(u32, u32)> = const { Cell::new((NONE, NONE)) };
    static REGISTRY: RefCell<Registry> = const {
        RefCell::new(Registry { sources: Slab::new(), states: Slab::new() })
    };
}

/// The thread's middleware sources and the states of its requests that
/// asked, by index.
struct Registry {
    sources: Slab<Rc<dyn StateSource>>,
    states: Slab<Rc<dyn ErasedState>>,
}

/// Reusable indices.
struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T: Clone> Slab<T> {
    const fn new() -> Self {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }

    fn insert(&mut self, item: T) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.items[i as usize] = Some(item);
                i
            }
            None => {
                let i = u32::try_from(self.items.len())
                    .ok()
                    .filter(|&i| i != NONE)
                    .expect("fewer than 2^32 requests in flight on one thread");
                self.items.push(Some(item));
                i
            }
        }
    }

    fn get(&self, i: u32) -> Option<T> {
        self.items.get(i as usize)?.clone()
    }

    fn remove(&mut self, i: u32) -> Option<T> {
        let item = self.items.get_mut(i as usize)?.take();
        if item.is_some() {
            self.free.push(i);
        }
        item
    }
}

/// A middleware's [`StateSource`], registered on its worker thread for as
/// long as the middleware lives.
pub(crate) struct SourceId(u32);

impl SourceId {
    pub(crate) fn register(source: Rc<dyn StateSource>) -> SourceId {
        SourceId(REGISTRY.with(|r| r.borrow_mut().sources.insert(source)))
    }

    /// The scope of a request that has no state yet.
    pub(crate) fn scope(self: &Rc<Self>) -> Scope {
        Scope {
            source: self.clone(),
            state: NONE,
        }
    }

    /// The scope of a request whose state is made up front.
    pub(crate) fn scope_with(self: &Rc<Self>, state: Rc<dyn ErasedState>) -> Scope {
        Scope {
            source: self.clone(),
            state: REGISTRY.with(|r| r.borrow_mut().states.insert(state)),
        }
    }
}

impl Drop for SourceId {
    fn drop(&mut self) {
        // The thread may be tearing its locals down already.
        let _ = REGISTRY.try_with(|r| r.borrow_mut().sources.remove(self.0));
    }
}

/// One request's place in the thread-local, owned by its middleware future.
/// It keeps its source registered, so that the index cannot name another
/// middleware's source while the request is in flight.
pub(crate) struct Scope {
    source: Rc<SourceId>,
    state: u32,
}

impl Scope {
    /// Runs `f` (one poll of the request's inner future) as this request.
    pub(crate) fn enter<R>(&mut self, f: impl FnOnce() -> R) -> R {
        struct Restore((u32, u32));
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.set(self.0);
            }
        }
        let _restore = Restore(CURRENT.replace((self.source.0, self.state)));
        let out = f();
        // Something may have asked, and made the state.
        self.state = CURRENT.get().1;
        out
    }

    /// The request's state, if something asked for it; the scope is done.
    pub(crate) fn finish(&mut self) -> Option<Rc<dyn ErasedState>> {
        if self.state == NONE {
            return None;
        }
        let i = std::mem::replace(&mut self.state, NONE);
        REGISTRY
            .try_with(|r| r.borrow_mut().states.remove(i))
            .ok()
            .flatten()
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        // A request dropped before it finished (the client went away).
        self.finish();
    }
}

/// The state of the request being handled, made on first ask; `None` when
/// no `LoginManager` middleware is polling this code.
pub(crate) fn current_state() -> Option<Rc<dyn ErasedState>> {
    let (source, state) = CURRENT.get();
    if source == NONE {
        return None;
    }
    REGISTRY.with(|r| {
        if state != NONE {
            return r.borrow().states.get(state);
        }
        // Made outside the borrow: a source is free to use the registry.
        let maker = r.borrow().sources.get(source)?;
        let made = maker.make();
        let i = r.borrow_mut().states.insert(made.clone());
        CURRENT.set((source, i));
        Some(made)
    })
}
