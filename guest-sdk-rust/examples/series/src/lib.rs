//! `series` (table): for each input row `i` with a value `n`, the rows `(i, 0)`, `(i, 1)`, …,
//! `(i, n - 1)`; a NULL `n` or `n <= 0` gives no rows (arrow-udf's `series`/`range` table
//! function, as RisingWave's `generate_series`-style UDF examples use it).
//!
//! Input (declared in the catalog, so the host refuses any other before the guest runs): `n`,
//! int32, nullable. Output (declared): `row` (int32, not nullable: the catalog's `row_index`, the
//! input row in its batch) and `series` (int32, nullable, never null here).
//!
//! Output batches hold at most [`CHUNK_ROWS`] rows, so an input batch comes back as several
//! (`WF_MORE`). An `n` over [`MAX_N`] fails the batch (before any row is built) with an
//! invalid-input error naming the row and the value: all the output of one input batch is
//! built before the first batch is handed out, so an unbounded `n` would exhaust the guest's
//! memory.

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, Emitter, Error, OutputBatch, PrimitiveBuilder, Result};

/// Most rows in one output batch.
pub const CHUNK_ROWS: usize = 1024;

/// The largest `n` accepted.
pub const MAX_N: i32 = 10_000_000;

/// The output rows being gathered for the next batch.
struct Chunk {
    rows: PrimitiveBuilder<i32>,
    values: PrimitiveBuilder<i32>,
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            rows: PrimitiveBuilder::with_capacity(CHUNK_ROWS),
            values: PrimitiveBuilder::with_capacity(CHUNK_ROWS),
        }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Emits the gathered rows, if any, and starts a new chunk.
    fn emit(&mut self, out: &mut Emitter) -> Result<()> {
        if self.len() == 0 {
            return Ok(());
        }
        let Chunk { rows, values } = std::mem::replace(self, Chunk::new());
        let batch = OutputBatch::new(rows.len()).with_column("row", false, rows)?;
        out.emit(batch.with_column("series", true, values)?)
    }
}

pub fn series(input: &Batch, out: &mut Emitter) -> Result<()> {
    // The host has checked the input against the declared one: one int32 column `n`.
    let n = input.column(0)?.primitive::<i32>()?;
    // Refuse the whole batch before building anything.
    if let Some((row, n)) = n.iter().enumerate().find_map(|(row, n)| match n {
        Some(n) if n > MAX_N => Some((row, n)),
        _ => None,
    }) {
        return Err(Error::invalid_input(format!(
            "series: n = {n} (input row {row}) is more than {MAX_N}"
        )));
    }
    let mut chunk = Chunk::new();
    for (row, n) in n.iter().enumerate() {
        // A batch has fewer than 2^31 rows (ABI §5.5), so the row fits an int32.
        for value in 0..n.unwrap_or(0) {
            chunk.rows.append_value(row as i32);
            chunk.values.append_value(value);
            if chunk.len() == CHUNK_ROWS {
                chunk.emit(out)?;
            }
        }
    }
    chunk.emit(out)
}

wasm_flight_guest::export_functions! {
    table series => series, row_index "row", input ["n": int32 nullable],
        output ["row": int32, "series": int32 nullable];
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{DataType, ErrorKind, Field, Session, WF_MORE, WF_OK};

    fn ns(values: &[Option<i32>]) -> OutputBatch {
        let n: PrimitiveBuilder<i32> = values.iter().copied().collect();
        OutputBatch::new(values.len()).with_column("n", true, n).unwrap()
    }

    /// (row, series) of every output row, and the row count of each batch.
    fn rows(batches: Vec<OutputBatch>) -> (Vec<(i32, i32)>, Vec<usize>) {
        let sizes = batches.iter().map(OutputBatch::num_rows).collect();
        let mut all = Vec::new();
        for batch in batches {
            batch
                .as_input(|b| {
                    let fields: Vec<String> =
                        b.columns().iter().map(|c| c.field().to_string()).collect();
                    assert_eq!(fields, ["row: int32 not null", "series: int32"]);
                    let row = b.column(0).unwrap().primitive::<i32>().unwrap();
                    let value = b.column(1).unwrap().primitive::<i32>().unwrap();
                    all.extend(row.iter().zip(value.iter()).map(|(r, v)| (r.unwrap(), v.unwrap())));
                })
                .unwrap();
        }
        (all, sizes)
    }

    /// What `series` should give for `values`.
    fn expected(values: &[Option<i32>]) -> Vec<(i32, i32)> {
        let mut all = Vec::new();
        for (row, n) in values.iter().enumerate() {
            all.extend((0..n.unwrap_or(0)).map(|v| (row as i32, v)));
        }
        all
    }

    #[test]
    fn rows_0_to_n_for_each_input_row() {
        let mut session = Session::new(WF_FUNCTIONS, "series").unwrap();
        let (got, sizes) = rows(session.call(ns(&[Some(3), Some(1), Some(2)])).unwrap());
        assert_eq!(got, [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0), (2, 1)]);
        assert_eq!((sizes, session.statuses()), (vec![6], &[WF_OK][..]));
    }

    #[test]
    fn null_zero_and_negative_give_no_rows() {
        let mut session = Session::new(WF_FUNCTIONS, "series").unwrap();
        let input = [None, Some(0), Some(2), Some(-1), Some(i32::MIN), None, Some(1), Some(-5)];
        let (got, sizes) = rows(session.call(ns(&input)).unwrap());
        assert_eq!(got, [(2, 0), (2, 1), (6, 0)]);
        assert_eq!(sizes, [3]);
    }

    #[test]
    fn no_rows_give_one_empty_batch_of_the_declared_schema() {
        let mut session = Session::new(WF_FUNCTIONS, "series").unwrap();
        let (got, sizes) = rows(session.call(ns(&[None, Some(0), Some(i32::MIN)])).unwrap());
        assert_eq!((got, sizes), (vec![], vec![0]));
        let (got, sizes) = rows(session.call(ns(&[])).unwrap());
        assert_eq!((got, sizes), (vec![], vec![0]));
        assert_eq!(session.statuses(), [WF_OK]);
    }

    #[test]
    fn large_outputs_come_in_chunks_of_1024_rows() {
        // 1000 + 1500 + 24 + 1 = 2525 rows: batches of 1024, 1024 and 477, the boundaries
        // falling inside input rows 1 and 1 again (1024 = 1000 + 24, 2048 = 1000 + 1048).
        let input = [Some(1000), Some(1500), None, Some(24), Some(1)];
        let mut session = Session::new(WF_FUNCTIONS, "series").unwrap();
        let (got, sizes) = rows(session.call(ns(&input)).unwrap());
        assert_eq!(sizes, [CHUNK_ROWS, CHUNK_ROWS, 2525 - 2 * CHUNK_ROWS]);
        assert_eq!(session.statuses(), [WF_MORE, WF_MORE, WF_OK]);
        assert_eq!(got, expected(&input));
        assert_eq!(got[1023], (1, 23));
        assert_eq!(got[1024], (1, 24));
        // Exactly 1024 rows: one full batch, no empty one after it.
        let (got, sizes) = rows(session.call(ns(&[Some(1024)])).unwrap());
        assert_eq!((got.len(), sizes), (1024, vec![CHUNK_ROWS]));
        assert_eq!(session.statuses(), [WF_OK]);
        // The next input batch starts over at row 0.
        let (got, _) = rows(session.call(ns(&[Some(2)])).unwrap());
        assert_eq!(got, [(0, 0), (0, 1)]);
    }

    #[test]
    fn many_input_rows() {
        // 3000 input rows of n = i % 5 (every 11th null): 5,455 rows in 6 batches.
        let input: Vec<Option<i32>> =
            (0..3000).map(|i| if i % 11 == 4 { None } else { Some(i % 5) }).collect();
        let want = expected(&input);
        assert_eq!(want.len(), 5455);
        let mut session = Session::new(WF_FUNCTIONS, "series").unwrap();
        let (got, sizes) = rows(session.call(ns(&input)).unwrap());
        assert_eq!(got, want);
        assert_eq!(sizes, [1024, 1024, 1024, 1024, 1024, 335]);
        assert_eq!(session.statuses(), [WF_MORE, WF_MORE, WF_MORE, WF_MORE, WF_MORE, WF_OK]);
    }

    #[test]
    fn the_largest_n() {
        let mut session = Session::new(WF_FUNCTIONS, "series").unwrap();
        let out = session.call(ns(&[Some(MAX_N)])).unwrap();
        let batches = (MAX_N as usize + CHUNK_ROWS - 1) / CHUNK_ROWS;
        assert_eq!(out.len(), batches);
        assert_eq!(out.iter().map(OutputBatch::num_rows).sum::<usize>(), MAX_N as usize);
        let (last, sizes) = rows(out.into_iter().skip(batches - 1).collect());
        assert_eq!(sizes, [MAX_N as usize - (batches - 1) * CHUNK_ROWS]);
        assert_eq!(last.last(), Some(&(0, MAX_N - 1)));
    }

    #[test]
    fn refuses_n_over_the_limit_before_any_row() {
        for n in [MAX_N + 1, i32::MAX] {
            let mut session = Session::new(WF_FUNCTIONS, "series").unwrap();
            let err = session.call(ns(&[Some(3), None, Some(n), Some(2)])).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert_eq!(
                err.message(),
                format!("series: n = {n} (input row 2) is more than 10000000")
            );
            // One call, the error: no batch was handed out first.
            assert_eq!(session.statuses(), [ErrorKind::InvalidInput.status()]);
            // The session goes on with the next batch.
            let (got, _) = rows(session.call(ns(&[Some(1)])).unwrap());
            assert_eq!(got, [(0, 0)]);
        }
    }

    #[test]
    fn catalog_declares_input_row_index_and_output() {
        assert_eq!(
            WF_CATALOG,
            concat!(
                r#"{"functions":[{"name":"series","kind":"table","export":"wf_fn_series","#,
                r#""row_index":"row","input":[{"name":"n","format":"i","nullable":true}],"#,
                r#""output":[{"name":"row","format":"i","nullable":false},"#,
                r#"{"name":"series","format":"i","nullable":true}]}]}"#
            )
        );
        let f = &WF_FUNCTIONS[0];
        assert_eq!(f.input(), Some(vec![Field::new("n", DataType::Int32, true)]));
        assert_eq!(f.row_index(), Some("row"));
    }
}
