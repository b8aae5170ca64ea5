//! Panic containment for code that C calls: [`contain`] catches a panic of its body and hands
//! back its message and source location, and the process's panic hook stays quiet about it.
//! Every other panic (outside any [`contain`] call, for instance on another thread, or in
//! other Rust code sharing this standard library) still reaches the hook that was installed
//! before ours.
//!
//! No nginx here, so that the hook logic is unit-tested; the module logs what it gets back.
#![forbid(unsafe_code)]

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

thread_local! {
    /// How many [`contain`] calls this thread is inside: the hook only claims panics here.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic claimed on this thread happened, for [`contain`] to pick up.
    static LOCATION: Cell<Option<String>> = const { Cell::new(None) };
}

static HOOK: Once = Once::new();

/// A panic caught by [`contain`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panic {
    /// The panic's message (`"(no message)"` when its payload is not a string).
    pub message: String,
    /// `file:line` of the `panic!` (or the failed `unwrap`, the out-of-range index...).
    pub location: Option<String>,
}

/// Installs the hook, once per process: configuration is read again on every reload, and
/// hooks must not pile up. The hook records the location of a panic inside [`contain`] and
/// passes any other panic to the hook it replaced. Returns whether this call installed it.
pub fn install_hook() -> bool {
    let mut installed = false;
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !claim(info) {
                previous(info);
            }
        }));
        installed = true;
    });
    installed
}

/// Records where a panic inside [`contain`] happened; `false` for a panic that is not ours.
fn claim(info: &PanicHookInfo<'_>) -> bool {
    // `try_with` throughout: the hook must not panic, even on a thread being torn down.
    if !DEPTH.try_with(|depth| depth.get() > 0).unwrap_or(false) {
        return false;
    }
    let location = info.location().map(|at| format!("{}:{}", at.file(), at.line()));
    let _ = LOCATION.try_with(|last| last.set(location));
    true
}

/// Counts one [`contain`] call on this thread for as long as it lives.
struct Depth;

impl Depth {
    fn enter() -> Depth {
        DEPTH.with(|depth| depth.set(depth.get().saturating_add(1)));
        Depth
    }
}

impl Drop for Depth {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Runs `body`, catching a panic. The hook is installed first if it is not yet (the first
/// call in a process happens while the first configuration is read, before any fork).
pub fn contain<T>(body: impl FnOnce() -> T) -> Result<T, Panic> {
    install_hook();
    let _depth = Depth::enter();
    // `try_with` here too: reading this thread's locals must never be what panics.
    let _ = LOCATION.try_with(Cell::take);
    panic::catch_unwind(AssertUnwindSafe(body)).map_err(|payload| Panic {
        message: payload
            .downcast_ref::<&str>()
            .map(|message| message.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string()),
        location: LOCATION.try_with(Cell::take).ok().flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Panics that reached the hook installed before ours, on this thread.
        static PASSED_ON: Cell<u32> = const { Cell::new(0) };
    }

    static SETUP: Once = Once::new();

    /// Installs a hook that counts what reaches it, then ours on top (once: tests share the
    /// process). Each test thread counts its own panics.
    fn setup() {
        SETUP.call_once(|| {
            panic::set_hook(Box::new(|_| PASSED_ON.with(|n| n.set(n.get() + 1))));
            assert!(install_hook(), "the first install installs");
        });
    }

    fn passed_on() -> u32 {
        PASSED_ON.with(Cell::get)
    }

    #[test]
    fn contained_panics_carry_message_and_location_and_stay_quiet() {
        setup();
        let line = line!() + 1;
        let caught = contain(|| panic!("boom {}", 7));
        let expected = Panic {
            message: "boom 7".into(),
            location: Some(format!("crates/panic-guard/src/lib.rs:{line}")),
        };
        assert_eq!(caught, Err(expected));
        let caught = contain(|| panic!("a static message"));
        assert_eq!(caught.map_err(|p| p.message), Err("a static message".to_string()));
        let caught = contain(|| std::panic::panic_any(42_u8));
        assert_eq!(caught.map_err(|p| p.message), Err("(no message)".to_string()));
        assert_eq!(passed_on(), 0, "no contained panic reached the previous hook");
        assert_eq!(contain(|| 5), Ok(5));
    }

    #[test]
    fn other_panics_reach_the_previous_hook() {
        setup();
        let outside = panic::catch_unwind(|| panic!("not ours"));
        assert!(outside.is_err());
        assert_eq!(passed_on(), 1, "a panic outside contain is passed on, once");
        let _ = contain(|| panic!("ours"));
        assert_eq!(passed_on(), 1);
        // After a contained panic (nested ones included) the thread is outside again.
        let nested = contain(|| contain(|| panic!("inner")).map(|()| 1));
        assert_eq!(nested.map(|inner| inner.map_err(|p| p.message)), Ok(Err("inner".into())));
        let _ = panic::catch_unwind(|| panic!("not ours either"));
        assert_eq!(passed_on(), 2);
        // Another thread is outside every contain call of this one.
        let on_thread = contain(|| {
            let thread = std::thread::spawn(|| {
                let _ = panic::catch_unwind(|| panic!("a thread's"));
                passed_on()
            });
            thread.join().ok()
        });
        assert_eq!(on_thread, Ok(Some(1)));
    }

    #[test]
    fn installing_again_does_not_stack_hooks() {
        setup();
        assert!(!install_hook());
        assert!(!install_hook());
        let _ = panic::catch_unwind(|| panic!("counted once"));
        assert_eq!(passed_on(), 1, "one hook of ours in the chain, not one per install");
    }
}
