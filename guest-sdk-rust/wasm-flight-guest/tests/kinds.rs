//! The ABI 1.2 kinds end to end through their real exports (`Session`): filter selections,
//! table hand-out with `WF_MORE`, row_index, empty outputs and their schema, table `finish`,
//! aggregate state across calls and `finish` without input, options, errors and the catalog.

use std::cell::Cell;

use wasm_flight_guest::{
    Aggregate, Batch, Emitter, Error, ErrorKind, FunctionKind, OutputBatch, PrimitiveBuilder,
    Result, Selection, Session, WF_MORE, WF_OK,
};

fn int64s(values: &[Option<i64>]) -> OutputBatch {
    let column: PrimitiveBuilder<i64> = values.iter().copied().collect();
    OutputBatch::new(values.len()).with_column("x", true, column).unwrap()
}

/// Column `name` of every batch, as i64 (int32 and int64 columns).
fn values(batches: Vec<OutputBatch>, name: &str) -> Vec<Vec<Option<i64>>> {
    batches
        .into_iter()
        .map(|b| {
            b.as_input(|b| {
                let c = b.column_by_name(name).unwrap();
                match c.primitive::<i64>() {
                    Ok(v) => v.iter().collect(),
                    Err(_) => {
                        c.primitive::<i32>().unwrap().iter().map(|v| v.map(i64::from)).collect()
                    }
                }
            })
            .unwrap()
        })
        .collect()
}

// ---- filter

fn even(input: &Batch) -> Result<Selection> {
    let x = input.column(0)?.primitive::<i64>()?;
    Ok(Selection::from_mask(x.iter().map(|v| v.map_or(false, |v| v % 2 == 0))))
}

fn odd_rows(input: &Batch) -> Result<Selection> {
    Selection::from_indices((1..input.num_rows()).step_by(2))
}

fn beyond(input: &Batch) -> Result<Selection> {
    Selection::from_indices([input.num_rows()])
}

fn short_mask(_: &Batch) -> Result<Selection> {
    Ok(Selection::from_mask([true]))
}

// ---- table

/// Row `i` of value `n` gives `n` output rows `(row = i, value = n)`, in batches of at most 2.
fn repeat(input: &Batch, out: &mut Emitter) -> Result<()> {
    let x = input.column(0)?.primitive::<i64>()?;
    let (mut rows, mut vals) = (PrimitiveBuilder::<i32>::new(), PrimitiveBuilder::<i64>::new());
    for (i, n) in x.iter().enumerate() {
        for _ in 0..n.unwrap_or(0) {
            rows.append_value(i as i32);
            vals.append_value(n.unwrap_or(0));
            if rows.len() == 2 {
                let batch = OutputBatch::new(2).with_column("row", false, rows)?;
                out.emit(batch.with_column("value", true, vals)?)?;
                rows = PrimitiveBuilder::new();
                vals = PrimitiveBuilder::new();
            }
        }
    }
    if !rows.is_empty() {
        let batch = OutputBatch::new(rows.len()).with_column("row", false, rows)?;
        out.emit(batch.with_column("value", true, vals)?)?;
    }
    Ok(())
}

/// Emits its rows backwards: a decreasing row_index.
fn backwards(input: &Batch, out: &mut Emitter) -> Result<()> {
    let rows: PrimitiveBuilder<i32> = (0..input.num_rows() as i32).rev().map(Some).collect();
    out.emit(OutputBatch::new(input.num_rows()).with_column("row", false, rows)?)
}

/// Emits column 0 again, without declaring an output: nothing for a zero-row input.
fn echo_rows(input: &Batch, out: &mut Emitter) -> Result<()> {
    if input.num_rows() == 0 {
        return Ok(());
    }
    let x: PrimitiveBuilder<i64> = input.column(0)?.primitive::<i64>()?.iter().collect();
    out.emit(OutputBatch::new(input.num_rows()).with_column("x", true, x)?)
}

fn nothing(_: &Batch, _: &mut Emitter) -> Result<()> {
    Ok(())
}

thread_local! {
    static SEEN: Cell<i64> = const { Cell::new(0) };
}

/// Counts the rows; emits nothing until `finish`.
fn count_rows(input: &Batch, _: &mut Emitter) -> Result<()> {
    SEEN.with(|s| s.set(s.get() + input.num_rows() as i64));
    Ok(())
}

/// Emits 0..=rows seen, one row per batch.
fn count_rows_finish(out: &mut Emitter) -> Result<()> {
    for i in 0..=SEEN.with(Cell::get) {
        let n: PrimitiveBuilder<i64> = [Some(i)].into_iter().collect();
        out.emit(OutputBatch::new(1).with_column("n", false, n)?)?;
    }
    Ok(())
}

// ---- aggregate

thread_local! {
    static SCALE: Cell<i64> = const { Cell::new(1) };
}

fn sum_init(options: &str) -> Result<()> {
    let scale = match options.trim() {
        "{}" => 1,
        r#"{"scale":2}"# => 2,
        other => return Err(Error::invalid_input(format!("unknown options {other}"))),
    };
    SCALE.with(|s| s.set(scale));
    Ok(())
}

/// The sum and number of values of column 0, times the `scale` option; `finish` emits
/// `batches` copies of the result row (to exercise the hand-out), 1 by default.
struct Sum {
    sum: i64,
    count: i64,
    updates: i64,
}

impl Aggregate for Sum {
    fn new() -> Result<Self> {
        Ok(Sum { sum: 0, count: 0, updates: 0 })
    }

    fn update(&mut self, input: &Batch) -> Result<()> {
        let x = input.column(0)?.primitive::<i64>()?;
        self.sum += x.iter().flatten().sum::<i64>();
        self.count += x.iter().flatten().count() as i64;
        self.updates += 1;
        if self.sum < 0 {
            return Err(Error::execution("the sum is negative"));
        }
        Ok(())
    }

    fn finish(self, out: &mut Emitter) -> Result<()> {
        let scale = SCALE.with(Cell::get);
        for _ in 0..self.updates.max(1) {
            let sum: PrimitiveBuilder<i64> = [Some(self.sum * scale)].into_iter().collect();
            let count: PrimitiveBuilder<i64> = [Some(self.count)].into_iter().collect();
            let batch = OutputBatch::new(1).with_column("sum", false, sum)?;
            out.emit(batch.with_column("count", false, count)?)?;
        }
        Ok(())
    }
}

/// Emits nothing: the SDK hands out one zero-row batch of the declared output.
struct Silent;

impl Aggregate for Silent {
    fn new() -> Result<Self> {
        Ok(Silent)
    }

    fn update(&mut self, _: &Batch) -> Result<()> {
        Ok(())
    }

    fn finish(self, _: &mut Emitter) -> Result<()> {
        Ok(())
    }
}

fn panics(input: &Batch, _: &mut Emitter) -> Result<()> {
    panic!("panicked after {} rows", input.num_rows());
}

wasm_flight_guest::export_functions! {
    table panics => panics;
    filter even => even;
    filter odd_rows => odd_rows, init sum_init;
    filter beyond => beyond;
    filter short_mask => short_mask;
    table repeat => repeat, output ["row": int32, "value": int64 nullable], row_index "row";
    table backwards => backwards, row_index "row";
    table echo_rows => echo_rows;
    table nothing => nothing, output ["w": utf8 nullable];
    table count_rows => count_rows, finish count_rows_finish, output ["n": int64];
    aggregate sum => Sum, init sum_init, output ["sum": int64, "count": int64];
    aggregate silent => Silent, output ["a": float64 nullable, "b": utf8];
}

#[test]
fn catalog() {
    let expected = concat!(
        r#"{"functions":["#,
        r#"{"name":"panics","kind":"table","export":"wf_fn_panics"},"#,
        r#"{"name":"even","kind":"filter","export":"wf_fn_even"},"#,
        r#"{"name":"odd_rows","kind":"filter","export":"wf_fn_odd_rows","init":"wf_init_odd_rows"},"#,
        r#"{"name":"beyond","kind":"filter","export":"wf_fn_beyond"},"#,
        r#"{"name":"short_mask","kind":"filter","export":"wf_fn_short_mask"},"#,
        r#"{"name":"repeat","kind":"table","export":"wf_fn_repeat","row_index":"row","#,
        r#""output":[{"name":"row","format":"i","nullable":false},"#,
        r#"{"name":"value","format":"l","nullable":true}]},"#,
        r#"{"name":"backwards","kind":"table","export":"wf_fn_backwards","row_index":"row"},"#,
        r#"{"name":"echo_rows","kind":"table","export":"wf_fn_echo_rows"},"#,
        r#"{"name":"nothing","kind":"table","export":"wf_fn_nothing","#,
        r#""output":[{"name":"w","format":"u","nullable":true}]},"#,
        r#"{"name":"count_rows","kind":"table","export":"wf_fn_count_rows","#,
        r#""finish":"wf_finish_count_rows","output":[{"name":"n","format":"l","nullable":false}]},"#,
        r#"{"name":"sum","kind":"aggregate","export":"wf_fn_sum","init":"wf_init_sum","#,
        r#""finish":"wf_finish_sum","output":[{"name":"sum","format":"l","nullable":false},"#,
        r#"{"name":"count","format":"l","nullable":false}]},"#,
        r#"{"name":"silent","kind":"aggregate","export":"wf_fn_silent","finish":"wf_finish_silent","#,
        r#""output":[{"name":"a","format":"g","nullable":true},"#,
        r#"{"name":"b","format":"u","nullable":false}]}"#,
        r#"]}"#
    );
    assert_eq!(WF_CATALOG, expected);
    let kinds: Vec<(&str, FunctionKind, bool, bool)> =
        WF_FUNCTIONS.iter().map(|f| (f.name(), f.kind(), f.has_init(), f.has_finish())).collect();
    assert_eq!(kinds[2], ("odd_rows", FunctionKind::Filter, true, false));
    assert_eq!(kinds[9], ("count_rows", FunctionKind::Table, false, true));
    assert_eq!(kinds[10], ("sum", FunctionKind::Aggregate, true, true));
    assert_eq!(WF_FUNCTIONS[5].row_index(), Some("row"));
    let output: Vec<String> =
        WF_FUNCTIONS[5].output().unwrap().iter().map(ToString::to_string).collect();
    assert_eq!(output, ["row: int32 not null", "value: int64"]);
}

#[test]
fn filters_write_masks_and_indices() {
    let mut even = Session::new(WF_FUNCTIONS, "even").unwrap();
    let kept = even.filter(int64s(&[Some(2), Some(3), None, Some(-4)])).unwrap();
    assert_eq!((kept, even.statuses()), (vec![0, 3], &[WF_OK][..]));
    // The selection batch itself: one bool column of one value per input row.
    let selection = even.call(int64s(&[Some(1), Some(2)])).unwrap();
    let format = selection[0].fields().map(|f| f.to_string()).collect::<Vec<_>>();
    assert_eq!(format, ["keep: bool not null"]);

    let mut odd = Session::new(WF_FUNCTIONS, "odd_rows").unwrap();
    assert_eq!(odd.filter(int64s(&[None; 6])).unwrap(), [1, 3, 5]);
    assert_eq!(odd.filter(int64s(&[])).unwrap(), Vec::<usize>::new());
    let selection = odd.call(int64s(&[None; 3])).unwrap();
    let format = selection[0].fields().map(|f| f.to_string()).collect::<Vec<_>>();
    assert_eq!(format, ["index: int32 not null"]);
}

#[test]
fn selections_that_do_not_fit_the_input_are_errors() {
    let mut beyond = Session::new(WF_FUNCTIONS, "beyond").unwrap();
    let err = beyond.filter(int64s(&[Some(1), Some(2)])).unwrap_err();
    assert_eq!(
        (err.kind(), err.message()),
        (ErrorKind::Execution, "the selection keeps row 2 of a 2-row batch")
    );
    let mut short = Session::new(WF_FUNCTIONS, "short_mask").unwrap();
    let err = short.filter(int64s(&[Some(1), Some(2)])).unwrap_err();
    assert_eq!(err.message(), "the selection is for 1 rows, the input batch has 2");
    assert_eq!(short.statuses(), [2]);
    let err = Session::new(WF_FUNCTIONS, "even").unwrap().filter(OutputBatch::new(0)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn table_output_is_handed_out_with_more_until_the_last() {
    let mut repeat = Session::new(WF_FUNCTIONS, "repeat").unwrap();
    let out = repeat.call(int64s(&[Some(2), None, Some(3)])).unwrap();
    assert_eq!(repeat.statuses(), [WF_MORE, WF_MORE, WF_OK]);
    assert_eq!(values(out, "row"), [vec![Some(0), Some(0)], vec![Some(2), Some(2)], vec![Some(2)]]);
    // The next input starts afresh.
    let out = repeat.call(int64s(&[Some(1)])).unwrap();
    assert_eq!((repeat.statuses(), values(out, "value")), (&[WF_OK][..], vec![vec![Some(1)]]));
    // No rows: one zero-row batch of the declared output.
    let out = repeat.call(int64s(&[Some(0), None])).unwrap();
    assert_eq!(repeat.statuses(), [WF_OK]);
    let fields: Vec<String> = out[0].fields().map(ToString::to_string).collect();
    assert_eq!(
        (out[0].num_rows(), fields),
        (0, vec!["row: int32 not null".into(), "value: int64".into()])
    );
}

#[test]
fn a_decreasing_row_index_is_an_error() {
    let mut backwards = Session::new(WF_FUNCTIONS, "backwards").unwrap();
    assert_eq!(backwards.call(int64s(&[None])).unwrap().len(), 1);
    let err = backwards.call(int64s(&[None, None])).unwrap_err();
    assert_eq!(err.message(), "row_index column 'row' has row 0 after row 1: it must not decrease");
}

#[test]
fn empty_table_output_keeps_the_session_schema() {
    let mut nothing = Session::new(WF_FUNCTIONS, "nothing").unwrap();
    let out = nothing.call(int64s(&[Some(1)])).unwrap();
    let fields: Vec<String> = out[0].fields().map(ToString::to_string).collect();
    assert_eq!((out.len(), out[0].num_rows(), fields), (1, 0, vec!["w: utf8".to_string()]));

    // Without a declared output: the schema of the first batch handed out.
    let mut echo = Session::new(WF_FUNCTIONS, "echo_rows").unwrap();
    assert_eq!(values(echo.call(int64s(&[Some(7)])).unwrap(), "x"), [vec![Some(7)]]);
    let out = echo.call(int64s(&[])).unwrap();
    let fields: Vec<String> = out[0].fields().map(ToString::to_string).collect();
    assert_eq!((out[0].num_rows(), fields), (0, vec!["x: int64".to_string()]));

    // An empty first output without a declared one: no columns, and then it has to stay so.
    let mut echo = Session::new(WF_FUNCTIONS, "echo_rows").unwrap();
    let out = echo.call(int64s(&[])).unwrap();
    assert_eq!((out[0].num_rows(), out[0].num_columns()), (0, 0));
    let err = echo.call(int64s(&[Some(1)])).unwrap_err();
    assert!(err.message().contains("but the output has (), set by an earlier empty output"));
}

#[test]
fn table_finish_after_the_last_batch() {
    let mut count = Session::new(WF_FUNCTIONS, "count_rows").unwrap();
    SEEN.with(|s| s.set(0));
    for rows in [2, 1] {
        let out = count.call(int64s(&vec![None; rows])).unwrap();
        assert_eq!((out.len(), out[0].num_rows()), (1, 0));
    }
    let out = count.finish().unwrap();
    assert_eq!(count.statuses(), [WF_MORE, WF_MORE, WF_MORE, WF_OK]);
    assert_eq!(values(out, "n"), [[Some(0)], [Some(1)], [Some(2)], [Some(3)]]);
}

#[test]
fn aggregate_state_lives_across_batches() {
    let mut sum = Session::new(WF_FUNCTIONS, "sum").unwrap();
    assert!(sum.call(int64s(&[Some(1), None, Some(2)])).unwrap().is_empty());
    assert!(sum.call(int64s(&[Some(10)])).unwrap().is_empty());
    assert_eq!(sum.statuses(), [WF_OK]);
    let out = sum.finish().unwrap();
    assert_eq!(sum.statuses(), [WF_MORE, WF_OK]);
    assert_eq!(values(out, "sum"), [[Some(13)], [Some(13)]]);

    // A new session starts from a new state; the options reach init.
    let mut sum = Session::with_options(WF_FUNCTIONS, "sum", r#"{"scale":2}"#).unwrap();
    sum.call(int64s(&[Some(5)])).unwrap();
    let out = sum.finish().unwrap().pop().unwrap();
    let row = out.as_input(|b| {
        let get = |name| b.column_by_name(name).unwrap().primitive::<i64>().unwrap().get(0);
        (get("sum"), get("count"))
    });
    assert_eq!(row.unwrap(), (Some(10), Some(1)));
}

#[test]
fn aggregate_finish_without_input() {
    let mut sum = Session::new(WF_FUNCTIONS, "sum").unwrap();
    let out = sum.finish().unwrap();
    assert_eq!((sum.statuses(), values(out, "count")), (&[WF_OK][..], vec![vec![Some(0)]]));
    let mut silent = Session::new(WF_FUNCTIONS, "silent").unwrap();
    let out = silent.finish().unwrap();
    let fields: Vec<String> = out[0].fields().map(ToString::to_string).collect();
    assert_eq!((out.len(), out[0].num_rows()), (1, 0));
    assert_eq!(fields, ["a: float64", "b: utf8 not null"]);
}

#[test]
fn errors_and_options() {
    let mut sum = Session::new(WF_FUNCTIONS, "sum").unwrap();
    let err = sum.call(int64s(&[Some(-3)])).unwrap_err();
    assert_eq!(
        (err.kind(), err.message(), sum.statuses()),
        (ErrorKind::Execution, "the sum is negative", &[2][..])
    );
    let err = Session::with_options(WF_FUNCTIONS, "sum", r#"{"x":1}"#).unwrap_err();
    assert_eq!(
        (err.kind(), err.message()),
        (ErrorKind::InvalidInput, r#"unknown options {"x":1}"#)
    );
    let err = Session::with_options(WF_FUNCTIONS, "even", r#"{"x":1}"#).unwrap_err();
    assert_eq!(err.message(), "function 'even' takes no options (it has no init)");
    assert!(Session::with_options(WF_FUNCTIONS, "even", " { } ").is_ok());
    assert!(Session::new(WF_FUNCTIONS, "missing").is_err());
    let err = Session::new(WF_FUNCTIONS, "repeat").unwrap().finish().unwrap_err();
    assert_eq!(err.message(), "'repeat' has no finish");
}

#[test]
#[should_panic(expected = "panicked after 2 rows")]
fn a_panic_in_the_guest_panics_the_test_outside_the_export() {
    // On wasm the panic is a trap; natively the entry catches it before the `extern "C"`
    // boundary and `Session` resumes it.
    let _ = Session::new(WF_FUNCTIONS, "panics").unwrap().call(int64s(&[None, None]));
}
