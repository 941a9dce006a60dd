//! `kinds_hostile`: guests of the ABI 1.2 kinds that misbehave on purpose, for the host's tests.
//!
//! - `forever` (table): returns `WF_MORE` on every call, each time with a batch of one int64
//!   column `n` of as many rows as the input (so the host's per-batch call time limit must end
//!   it with `TIMED_OUT`);
//! - `finish_panics` (aggregate): counts rows in `update`, then panics in `finish` with
//!   "finish failed on purpose" (a trap; the SDK's panic hook records the message first);
//! - `bad_selection` (filter): answers a batch of `rows` rows with an index selection
//!   `[rows, rows + 1, …]` — every index out of range, an ABI violation
//!   ("filter selected row N of an N-row batch").
//!
//! The safe SDK cannot express `forever` and `bad_selection`: it hands out a finite list of
//! emitted batches and checks every selection against its input. So this crate writes its
//! catalog and its exports by hand: it calls the SDK's (hidden, unstable) `map_entry` to read
//! the input and write a batch of the input's row count, and replaces its status `WF_OK` by
//! `WF_MORE` (`forever`) or hands it an index column (`bad_selection`). `finish_panics` goes
//! through the SDK's real aggregate entries. No `unsafe` block; only the export attributes.

#![deny(unsafe_code)]

use wasm_flight_guest::__private::{
    aggregate_finish_entry, aggregate_update_entry, map_entry, BatchEntry, FunctionParts,
    PairEntry, State,
};
use wasm_flight_guest::{
    Aggregate, Batch, Emitter, Function, FunctionKind, OutputBatch, PrimitiveBuilder, Result,
    WF_MORE, WF_OK,
};

/// The catalog, written by hand (`export_functions!` would generate the exports too).
pub const WF_CATALOG: &str = concat!(
    r#"{"functions":["#,
    r#"{"name":"forever","kind":"table","export":"wf_fn_forever"},"#,
    r#"{"name":"finish_panics","kind":"aggregate","export":"wf_fn_finish_panics","#,
    r#""finish":"wf_finish_finish_panics"},"#,
    r#"{"name":"bad_selection","kind":"filter","export":"wf_fn_bad_selection"}"#,
    r#"]}"#
);

#[allow(unsafe_code)] // `no_mangle`: an ABI export
#[no_mangle]
extern "C" fn wf_catalog() -> u64 {
    wasm_flight_guest::__private::abi_str(WF_CATALOG)
}

/// A batch of one int64 column `n` (0, 1, …) of the input's row count.
fn counting(input: &Batch) -> Result<OutputBatch> {
    let n: PrimitiveBuilder<i64> = (0..input.num_rows() as i64).map(Some).collect();
    OutputBatch::new(input.num_rows()).with_column("n", false, n)
}

/// An index selection `[rows, rows + 1, …]`: one index per input row, each out of range.
fn out_of_range(input: &Batch) -> Result<OutputBatch> {
    let rows = input.num_rows() as i32;
    let index: PrimitiveBuilder<i32> = (rows..2 * rows).map(Some).collect();
    OutputBatch::new(input.num_rows()).with_column("index", false, index)
}

#[allow(unsafe_code)] // `export_name`: an ABI export
#[export_name = "wf_fn_forever"]
extern "C" fn forever(
    in_schema: usize,
    in_array: usize,
    out_schema: usize,
    out_array: usize,
) -> i32 {
    match map_entry(in_schema, in_array, out_schema, out_array, counting) {
        WF_OK => WF_MORE,
        error => error,
    }
}

#[allow(unsafe_code)] // `export_name`: an ABI export
#[export_name = "wf_fn_bad_selection"]
extern "C" fn bad_selection(
    in_schema: usize,
    in_array: usize,
    out_schema: usize,
    out_array: usize,
) -> i32 {
    map_entry(in_schema, in_array, out_schema, out_array, out_of_range)
}

/// Counts the input rows, then panics in `finish`.
pub struct FinishPanics {
    rows: usize,
}

impl Aggregate for FinishPanics {
    fn new() -> Result<Self> {
        Ok(FinishPanics { rows: 0 })
    }

    fn update(&mut self, input: &Batch) -> Result<()> {
        self.rows += input.num_rows();
        Ok(())
    }

    fn finish(self, _: &mut Emitter) -> Result<()> {
        panic!("finish failed on purpose");
    }
}

thread_local! {
    static FINISH_PANICS: State<FinishPanics> = const { State::new() };
}

#[allow(unsafe_code)] // `export_name`: an ABI export
#[export_name = "wf_fn_finish_panics"]
extern "C" fn finish_panics_update(in_schema: usize, in_array: usize) -> i32 {
    aggregate_update_entry(&FINISH_PANICS, in_schema, in_array)
}

#[allow(unsafe_code)] // `export_name`: an ABI export
#[export_name = "wf_finish_finish_panics"]
extern "C" fn finish_panics_finish(out_schema: usize, out_array: usize) -> i32 {
    aggregate_finish_entry(&FINISH_PANICS, None, out_schema, out_array)
}

fn no_state() {}

fn reset_finish_panics() {
    FINISH_PANICS.with(State::reset)
}

/// The functions with their entry points, for native tests with `Session`.
pub const WF_FUNCTIONS: &[Function] = &[
    Function::from_parts(FunctionParts {
        name: "forever",
        kind: FunctionKind::Table,
        batch: Some(forever as BatchEntry),
        update: None,
        init: None,
        finish: None,
        input: None,
        output: None,
        row_index: None,
        reset: no_state,
    }),
    Function::from_parts(FunctionParts {
        name: "finish_panics",
        kind: FunctionKind::Aggregate,
        batch: None,
        update: Some(finish_panics_update as PairEntry),
        init: None,
        finish: Some(finish_panics_finish as PairEntry),
        input: None,
        output: None,
        row_index: None,
        reset: reset_finish_panics,
    }),
    Function::from_parts(FunctionParts {
        name: "bad_selection",
        kind: FunctionKind::Filter,
        batch: Some(bad_selection as BatchEntry),
        update: None,
        init: None,
        finish: None,
        input: None,
        output: None,
        row_index: None,
        reset: no_state,
    }),
];

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{Session, MAX_CALLS};

    fn one_row() -> OutputBatch {
        let x: PrimitiveBuilder<i64> = [Some(1)].into_iter().collect();
        OutputBatch::new(1).with_column("x", true, x).unwrap()
    }

    #[test]
    fn forever_says_more_forever() {
        let mut session = Session::new(WF_FUNCTIONS, "forever").unwrap();
        let err = session.call(one_row()).unwrap_err();
        assert_eq!(err.message(), format!("'forever' returned WF_MORE {MAX_CALLS} times in a row"));
        assert!(session.statuses().iter().all(|&s| s == WF_MORE));
    }

    #[test]
    fn bad_selection_selects_beyond_the_batch() {
        let mut session = Session::new(WF_FUNCTIONS, "bad_selection").unwrap();
        let err = session.filter(one_row()).unwrap_err();
        assert_eq!(err.message(), "ABI violation: filter selected row 1 of a 1-row batch");
    }

    #[test]
    #[should_panic(expected = "finish failed on purpose")]
    fn finish_panics() {
        let mut session = Session::new(WF_FUNCTIONS, "finish_panics").unwrap();
        session.call(one_row()).unwrap();
        let _ = session.finish();
    }

    #[test]
    fn catalog_lists_the_exports() {
        for f in WF_FUNCTIONS {
            assert!(WF_CATALOG.contains(&format!(r#""name":"{}""#, f.name())));
        }
    }
}
