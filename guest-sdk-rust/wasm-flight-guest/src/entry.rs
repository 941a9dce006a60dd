//! The runtime of the exports that `export_functions!` generates: one entry per kind (ABI §6),
//! the per-session state of table and aggregate functions, statuses and the panic hook.

use std::cell::RefCell;
use std::thread::LocalKey;

use crate::emitter::Outbox;
use crate::function::OutputField;
use crate::{ffi, import, Aggregate, Batch, Emitter, Error, OutputBatch, Result, Selection};

/// Status: success (ABI §2).
pub const WF_OK: i32 = 0;
/// Status: success, and there is more output; call again (ABI §2, 1.2).
pub const WF_MORE: i32 = 256;

/// The per-session state of a table function (`S = ()`) or an aggregate (`S` = its state):
/// the aggregate's value and the output batches not yet handed out. One per function, in a
/// `thread_local!` of the module (one instance per session, single-threaded).
pub struct State<S> {
    cell: RefCell<Inner<S>>,
}

struct Inner<S> {
    value: Option<S>,
    outbox: Outbox,
}

impl<S> State<S> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        State { cell: RefCell::new(Inner { value: None, outbox: Outbox::new() }) }
    }

    /// Back to the state of a new instance.
    pub fn reset(&self) {
        *self.cell.borrow_mut() = Inner { value: None, outbox: Outbox::new() };
    }
}

/// Runs a `map` function for its `wf_fn_*` export: reads the input, calls `f`, writes the
/// output, and turns an `Err` into its status (ABI §6.1).
pub fn map_entry(
    in_schema: usize,
    in_array: usize,
    out_schema: usize,
    out_array: usize,
    f: fn(&Batch<'_>) -> Result<OutputBatch>,
) -> i32 {
    entry(|| {
        let result = import::read_batch(in_schema, in_array).and_then(|input| {
            let output = f(&input)?;
            if output.num_rows() != input.num_rows() {
                return Err(Error::execution(format!(
                    "the function returned {} rows for {} input rows",
                    output.num_rows(),
                    input.num_rows()
                )));
            }
            output.write_to(out_schema, out_array)?;
            Ok(WF_OK)
        });
        status(result)
    })
}

/// Runs an `init` function for its `wf_init_*` export with the options JSON (ABI §6.2).
pub fn init_entry(options: usize, len: usize, f: fn(&str) -> Result<()>) -> i32 {
    entry(|| {
        let result = ffi::read_bytes(options, len).and_then(|bytes| {
            let options = std::str::from_utf8(bytes)
                .map_err(|_| Error::invalid_input("the options are not valid UTF-8"))?;
            f(options)?;
            Ok(WF_OK)
        });
        status(result)
    })
}

/// Runs a `filter` function for its `wf_fn_*` export: writes its selection, checked against
/// the input, as the one-column batch of ABI §6.3.
pub fn filter_entry(
    in_schema: usize,
    in_array: usize,
    out_schema: usize,
    out_array: usize,
    f: fn(&Batch<'_>) -> Result<Selection>,
) -> i32 {
    entry(|| {
        let result = import::read_batch(in_schema, in_array).and_then(|input| {
            let selection = f(&input)?.into_output(input.num_rows())?;
            selection.write_to(out_schema, out_array)?;
            Ok(WF_OK)
        });
        status(result)
    })
}

/// Runs a `table` function for its `wf_fn_*` export (ABI §6.4): with batches pending from
/// the last call on this input, hands out the next; otherwise runs `f` on the input and hands
/// out the first of what it emitted. `WF_MORE` while more remain, `WF_OK` with the last.
#[allow(clippy::too_many_arguments)]
pub fn table_entry(
    state: &'static LocalKey<State<()>>,
    output: Option<&'static [OutputField]>,
    row_index: Option<&'static str>,
    f: fn(&Batch<'_>, &mut Emitter) -> Result<()>,
    in_schema: usize,
    in_array: usize,
    out_schema: usize,
    out_array: usize,
) -> i32 {
    entry(|| {
        state.with(|state| {
            let mut inner = state.cell.borrow_mut();
            let outbox = &mut inner.outbox;
            let result = (|| {
                if !outbox.has_pending() {
                    let input = import::read_batch(in_schema, in_array)?;
                    let mut out = outbox.emitter(output);
                    f(&input, &mut out)?;
                    if let Some(column) = row_index {
                        out.check_row_index(column, input.num_rows())?;
                    }
                    outbox.accept(out)?;
                }
                hand_out(outbox, out_schema, out_array)
            })();
            finish_call(outbox, result)
        })
    })
}

/// Runs the `finish` of a table function for its `wf_finish_*` export (ABI §6.5), handing
/// out what it emits as [`table_entry`] does.
pub fn table_finish_entry(
    state: &'static LocalKey<State<()>>,
    output: Option<&'static [OutputField]>,
    f: fn(&mut Emitter) -> Result<()>,
    out_schema: usize,
    out_array: usize,
) -> i32 {
    entry(|| {
        state.with(|state| {
            let mut inner = state.cell.borrow_mut();
            let outbox = &mut inner.outbox;
            let result = (|| {
                if !outbox.has_pending() {
                    let mut out = outbox.emitter(output);
                    f(&mut out)?;
                    outbox.accept(out)?;
                }
                hand_out(outbox, out_schema, out_array)
            })();
            finish_call(outbox, result)
        })
    })
}

/// Runs [`Aggregate::update`] for an aggregate's `wf_fn_*` export (ABI §6.5), making the
/// state with [`Aggregate::new`] first if this is the session's first batch.
pub fn aggregate_update_entry<A: Aggregate + 'static>(
    state: &'static LocalKey<State<A>>,
    in_schema: usize,
    in_array: usize,
) -> i32 {
    entry(|| {
        state.with(|state| {
            let mut inner = state.cell.borrow_mut();
            let result = import::read_batch(in_schema, in_array).and_then(|input| {
                let value = match &mut inner.value {
                    Some(value) => value,
                    empty => empty.insert(A::new()?),
                };
                value.update(&input)?;
                Ok(WF_OK)
            });
            status(result)
        })
    })
}

/// Runs [`Aggregate::finish`] for an aggregate's `wf_finish_*` export (ABI §6.5) — on a new
/// state when no batch came — and hands out what it emits as [`table_entry`] does.
pub fn aggregate_finish_entry<A: Aggregate + 'static>(
    state: &'static LocalKey<State<A>>,
    output: Option<&'static [OutputField]>,
    out_schema: usize,
    out_array: usize,
) -> i32 {
    entry(|| {
        state.with(|state| {
            let mut inner = state.cell.borrow_mut();
            let Inner { value, outbox } = &mut *inner;
            let result = (|| {
                if !outbox.has_pending() {
                    let value = match value.take() {
                        Some(value) => value,
                        None => A::new()?,
                    };
                    let mut out = outbox.emitter(output);
                    value.finish(&mut out)?;
                    outbox.accept(out)?;
                }
                hand_out(outbox, out_schema, out_array)
            })();
            finish_call(outbox, result)
        })
    })
}

/// Writes the next pending batch: `WF_MORE` when more follow, else `WF_OK`.
fn hand_out(outbox: &mut Outbox, out_schema: usize, out_array: usize) -> Result<i32> {
    let (batch, more) = outbox
        .next()
        .ok_or_else(|| Error::execution("internal error: no output batch to hand out"))?;
    batch.write_to(out_schema, out_array)?;
    Ok(if more { WF_MORE } else { WF_OK })
}

/// The status of a hand-out call; after an error nothing stays pending.
fn finish_call(outbox: &mut Outbox, result: Result<i32>) -> i32 {
    if result.is_err() {
        outbox.clear();
    }
    status(result)
}

/// Runs the body of an entry point: [`begin_call`] first; natively (tests, where panics unwind)
/// a panic is caught before it reaches the `extern "C"` export, kept for `take_panic`, and
/// reported as the status `TRAPPED` — the native stand-in of a wasm trap, which
/// [`crate::Session`] turns back into the panic.
fn entry(body: impl FnOnce() -> i32) -> i32 {
    begin_call();
    #[cfg(panic = "unwind")]
    {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
            Ok(status) => status,
            Err(payload) => {
                PANIC.with(|p| *p.borrow_mut() = Some(payload));
                TRAPPED
            }
        }
    }
    #[cfg(not(panic = "unwind"))]
    body()
}

/// The status an entry returns natively after a panic (never on wasm, where a panic traps).
#[cfg(panic = "unwind")]
pub(crate) const TRAPPED: i32 = i32::MIN;

#[cfg(panic = "unwind")]
thread_local! {
    static PANIC: RefCell<Option<Box<dyn std::any::Any + Send>>> = const { RefCell::new(None) };
}

/// The payload of the panic that made the last entry return [`TRAPPED`].
#[cfg(panic = "unwind")]
pub(crate) fn take_panic() -> Option<Box<dyn std::any::Any + Send>> {
    PANIC.with(|p| p.borrow_mut().take())
}

/// Clears the last error and, once per instance, installs a panic hook that records the panic
/// message as the last error. A panic still traps (`panic = "abort"`); the host then reads the
/// message with `wf_last_error` and adds it to the trap it reports.
pub(crate) fn begin_call() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        // Natively (tests) the previous hook still prints the panic.
        #[cfg(not(target_arch = "wasm32"))]
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            ffi::set_last_error(format!("{}", info));
            #[cfg(not(target_arch = "wasm32"))]
            previous(info);
        }));
    });
    ffi::set_last_error(String::new());
}

fn status(result: Result<i32>) -> i32 {
    match result {
        Ok(status) => status,
        Err(error) => {
            let status = error.status();
            ffi::set_last_error(error.to_string());
            status
        }
    }
}
