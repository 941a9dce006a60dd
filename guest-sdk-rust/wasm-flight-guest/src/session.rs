//! [`Session`]: runs an exported function natively the way the host calls it, for tests.

use crate::entry::{WF_MORE, WF_OK};
use crate::{
    ffi, import, ArrayBuilder, Batch, Error, ErrorKind, Function, FunctionKind, OutputBatch, Result,
};

/// Most entry calls for one input batch or one `finish` before a session gives up (a function
/// that returns `WF_MORE` forever).
pub const MAX_CALLS: usize = 10_000;

/// One session of one exported function, run natively through its real entry points as the
/// host runs it (ABI §6): input batches exported to C Data structs, `init` with the options,
/// the exports called again after every `WF_MORE`, each output batch read back from its C Data
/// structs, copied, and released with `wf_release`.
///
/// ```
/// use wasm_flight_guest::{Batch, Emitter, OutputBatch, Result, Session, Utf8Builder};
///
/// fn letters(input: &Batch, out: &mut Emitter) -> Result<()> {
///     for line in input.column(0)?.utf8()?.iter().flatten() {
///         let letters: Utf8Builder = line.chars().map(|c| Some(c.to_string())).collect();
///         out.emit(OutputBatch::new(letters.len()).with_column("letter", false, letters)?)?;
///     }
///     Ok(())
/// }
///
/// wasm_flight_guest::export_functions! {
///     table letters => letters, output ["letter": utf8];
/// }
///
/// # fn main() -> Result<()> {
/// let lines: Utf8Builder = [Some("ab"), None, Some("c")].into_iter().collect();
/// let mut session = Session::new(WF_FUNCTIONS, "letters")?;
/// let out = session.call(OutputBatch::new(3).with_column("line", true, lines)?)?;
/// assert_eq!(out.iter().map(OutputBatch::num_rows).collect::<Vec<_>>(), [2, 1]);
/// assert_eq!(session.statuses(), [256, 0]); // WF_MORE, then WF_OK with the last batch
/// # Ok(())
/// # }
/// ```
///
/// Each function keeps its session state in a thread-local of the module; a new `Session`
/// clears it (as a new instance would), so run one session of a function at a time per thread
/// (each `#[test]` runs on its own thread).
#[derive(Debug)]
pub struct Session<'a> {
    function: &'a Function,
    statuses: Vec<i32>,
}

impl<'a> Session<'a> {
    /// A session of the function `name` of `functions` (the module's `WF_FUNCTIONS`) without
    /// options: `init`, if any, gets `{}`.
    pub fn new(functions: &'a [Function], name: &str) -> Result<Self> {
        Session::with_options(functions, name, "{}")
    }

    /// A session whose `init` gets `options` (JSON text). As the host, fails for options other
    /// than `{}` when the function has no `init`, and with `init`'s error.
    pub fn with_options(functions: &'a [Function], name: &str, options: &str) -> Result<Self> {
        let function = functions
            .iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| Error::invalid_input(format!("the module has no function '{name}'")))?;
        (function.parts().reset)();
        let mut session = Session { function, statuses: Vec::new() };
        match function.parts().init {
            Some(init) => {
                let status = init(options.as_ptr() as usize, options.len());
                session.statuses.push(status);
                session.check(status, "init", false)?;
            }
            None if options.chars().any(|c| !matches!(c, '{' | '}') && !c.is_whitespace()) => {
                return Err(Error::invalid_input(format!(
                    "function '{name}' takes no options (it has no init)"
                )));
            }
            None => {}
        }
        Ok(session)
    }

    pub fn function(&self) -> &'a Function {
        self.function
    }

    /// Sends one input batch. Map, filter and table functions: the output batches of this input
    /// (one for map and filter — a filter's is its selection batch, see [`Session::filter`] —,
    /// every batch handed out until `WF_OK` for a table function, zero-row ones included).
    /// Aggregates: the update; no output.
    pub fn call(&mut self, input: OutputBatch) -> Result<Vec<OutputBatch>> {
        self.statuses.clear();
        let parts = self.function.parts();
        let more = self.function.kind() == FunctionKind::Table;
        // The host keeps the input in place for the calls after WF_MORE.
        let input = input.export();
        let (schema, array) = input.addresses();
        if let Some(entry) = parts.batch {
            return self.hand_outs(
                |out_schema, out_array| entry(schema, array, out_schema, out_array),
                more,
            );
        }
        let update = parts.update.ok_or_else(|| Error::execution("the function has no entry"))?;
        let status = update(schema, array);
        self.statuses.push(status);
        self.check(status, "update", false)?;
        Ok(Vec::new())
    }

    /// Sends one input batch to a filter function and returns the kept rows, read from its
    /// selection as the host reads it (ABI §6.3).
    pub fn filter(&mut self, input: OutputBatch) -> Result<Vec<usize>> {
        if self.function.kind() != FunctionKind::Filter {
            return Err(Error::execution(format!("'{}' is not a filter", self.function.name())));
        }
        let rows = input.num_rows();
        let selection = self.call(input)?.pop().ok_or_else(|| Error::execution("no selection"))?;
        selection.as_input(|batch| kept_rows(batch, rows))?
    }

    /// Ends the input: calls `finish` (an aggregate's, or a table function's) until `WF_OK` and
    /// returns every batch handed out. Fails when the function has no `finish`.
    pub fn finish(&mut self) -> Result<Vec<OutputBatch>> {
        self.statuses.clear();
        let finish =
            self.function.parts().finish.ok_or_else(|| {
                Error::execution(format!("'{}' has no finish", self.function.name()))
            })?;
        self.hand_outs(|out_schema, out_array| finish(out_schema, out_array), true)
    }

    /// The statuses of the entry calls of the last `call`, `filter` or `finish` (e.g.
    /// `[256, 256, 0]`: two `WF_MORE`, then `WF_OK`).
    pub fn statuses(&self) -> &[i32] {
        &self.statuses
    }

    /// Calls `entry` with output slots until it returns `WF_OK` (or fails), collecting the
    /// output batches.
    fn hand_outs(
        &mut self,
        mut entry: impl FnMut(usize, usize) -> i32,
        more_allowed: bool,
    ) -> Result<Vec<OutputBatch>> {
        let mut batches = Vec::new();
        loop {
            let mut slots = ffi::OutputSlots::new();
            let (out_schema, out_array) = slots.addresses();
            let status = entry(out_schema, out_array);
            self.statuses.push(status);
            self.check(status, "the entry", more_allowed)?;
            // Read as the host reads it, then released (when `slots` drops).
            let (schema, array) = slots.refs();
            batches.push(import::import_batch(schema, array).and_then(|b| copy_batch(&b))?);
            if status == WF_OK {
                return Ok(batches);
            }
            if batches.len() >= MAX_CALLS {
                return Err(Error::execution(format!(
                    "'{}' returned WF_MORE {MAX_CALLS} times in a row",
                    self.function.name()
                )));
            }
        }
    }

    /// An error for an error status, with the guest's message; an ABI violation for a status
    /// the ABI does not allow here.
    fn check(&self, status: i32, what: &str, more_allowed: bool) -> Result<()> {
        // A panic in the guest (a trap on wasm) continues here, outside the export.
        #[cfg(panic = "unwind")]
        if status == crate::entry::TRAPPED {
            if let Some(payload) = crate::entry::take_panic() {
                std::panic::resume_unwind(payload);
            }
        }
        let kind = match status {
            WF_OK => return Ok(()),
            WF_MORE if more_allowed => return Ok(()),
            1 => ErrorKind::InvalidInput,
            2 => ErrorKind::Execution,
            3 => ErrorKind::OutOfMemory,
            _ => {
                return Err(Error::execution(format!(
                    "ABI violation: {what} of '{}' returned status {status}",
                    self.function.name()
                )))
            }
        };
        Err(Error::new(kind, ffi::last_error()))
    }
}

/// A deep copy of an output batch (which the host releases right after reading it).
fn copy_batch(batch: &Batch<'_>) -> Result<OutputBatch> {
    let mut copy = OutputBatch::new(batch.num_rows()).with_metadata(batch.metadata().clone());
    for column in batch.columns() {
        copy = copy.with_array(ArrayBuilder::copy_of(&column.array())?)?;
    }
    Ok(copy)
}

/// The rows a selection batch keeps, checked as the host checks it (ABI §6.3).
fn kept_rows(selection: &Batch<'_>, rows: usize) -> Result<Vec<usize>> {
    let violation = |what: String| Err(Error::execution(format!("ABI violation: {what}")));
    if selection.num_columns() != 1 {
        return violation(format!("a selection of {} columns", selection.num_columns()));
    }
    let column = selection.column(0)?;
    if let Ok(mask) = column.boolean() {
        if mask.len() != rows {
            return violation(format!("a selection mask of {} rows for {rows}", mask.len()));
        }
        return Ok((0..rows).filter(|&i| mask.get(i) == Some(true)).collect());
    }
    let indices = match column.primitive::<i32>() {
        Ok(indices) => indices,
        Err(_) => return violation(format!("a selection column of type {}", column.data_type())),
    };
    let mut kept = Vec::with_capacity(indices.len());
    for index in indices.iter() {
        let index = match index {
            Some(index) => index,
            None => return violation("a null in a selection index list".to_string()),
        };
        if index < 0 || index as usize >= rows {
            return violation(format!("filter selected row {index} of a {rows}-row batch"));
        }
        if kept.last().map_or(false, |&last| index as usize <= last) {
            return violation(format!("filter selected row {index} out of order"));
        }
        kept.push(index as usize);
    }
    Ok(kept)
}
