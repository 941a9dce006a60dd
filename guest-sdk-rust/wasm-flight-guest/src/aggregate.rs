//! The [`Aggregate`] trait: the state of an `aggregate` function (ABI §6.5).

use crate::{Batch, Emitter, Result};

/// The state of an `aggregate` function over the whole input stream of a session. The SDK
/// keeps one value per session (wasm is single-threaded, each session has its own instance):
///
/// - [`Aggregate::new`] makes it, lazily, before the first `update` — or before `finish` when
///   the client sent no batch at all;
/// - [`Aggregate::update`] runs once per input batch, in order, and emits nothing;
/// - [`Aggregate::finish`] runs once after the last input batch and emits the result as any
///   number of batches (each at most as large as you make it); the SDK hands them to the host
///   one per call, with `WF_MORE` while more remain.
///
/// Options: give the function an `init` (`aggregate f => F, init f_init;`) and keep what it
/// parses in a `thread_local!` that `new` reads. An `Err` from any method becomes the call's
/// status and message, as for every function.
///
/// ```
/// use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, PrimitiveBuilder, Result};
///
/// /// The number of non-null values of column 0 over the whole stream.
/// #[derive(Default)]
/// pub struct CountValid(i64);
///
/// impl Aggregate for CountValid {
///     fn new() -> Result<Self> {
///         Ok(CountValid(0))
///     }
///
///     fn update(&mut self, input: &Batch) -> Result<()> {
///         let column = input.column(0)?;
///         self.0 += (column.len() - column.null_count()) as i64;
///         Ok(())
///     }
///
///     fn finish(self, out: &mut Emitter) -> Result<()> {
///         let count: PrimitiveBuilder<i64> = [Some(self.0)].into_iter().collect();
///         out.emit(OutputBatch::new(1).with_column("count", false, count)?)
///     }
/// }
///
/// wasm_flight_guest::export_functions! {
///     aggregate count_valid => CountValid, output ["count": int64];
/// }
/// # fn main() {
/// # assert_eq!(WF_CATALOG, concat!(
/// #     r#"{"functions":[{"name":"count_valid","kind":"aggregate","export":"wf_fn_count_valid","#,
/// #     r#""finish":"wf_finish_count_valid","output":[{"name":"count","format":"l","nullable":false}]}]}"#));
/// # }
/// ```
pub trait Aggregate: Sized {
    /// The empty state, once per session, before the first `update` or `finish`.
    fn new() -> Result<Self>;

    /// Adds one input batch to the state.
    fn update(&mut self, input: &Batch) -> Result<()>;

    /// Emits the result, after the last input batch (also when there was none).
    fn finish(self, out: &mut Emitter) -> Result<()>;
}
