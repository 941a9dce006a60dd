//! `split_words` (table): one output row per whitespace-separated word (`str::split_whitespace`,
//! Unicode whitespace) of the utf8 values of the first column. `row` is the index of the word's
//! input row in its batch (the catalog's `row_index`), `word` the word. Null and empty (or
//! all-whitespace) lines give no rows. Output batches hold at most 65,536 rows, so a large
//! input batch comes back as several (`WF_MORE`).

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, Emitter, OutputBatch, PrimitiveBuilder, Result, Utf8Builder};

/// Most rows in one output batch.
pub const CHUNK_ROWS: usize = 65_536;

/// The output rows being gathered for the next batch.
struct Chunk {
    rows: PrimitiveBuilder<i32>,
    words: Utf8Builder,
}

impl Chunk {
    fn new() -> Chunk {
        Chunk { rows: PrimitiveBuilder::new(), words: Utf8Builder::new() }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Emits the gathered rows, if any, and starts a new chunk.
    fn emit(&mut self, out: &mut Emitter) -> Result<()> {
        if self.len() == 0 {
            return Ok(());
        }
        let Chunk { rows, words } = std::mem::replace(self, Chunk::new());
        let batch = OutputBatch::new(rows.len()).with_column("row", false, rows)?;
        out.emit(batch.with_column("word", true, words)?)
    }
}

pub fn split_words(input: &Batch, out: &mut Emitter) -> Result<()> {
    let lines = input.column(0)?.utf8()?;
    let mut chunk = Chunk::new();
    for (row, line) in lines.iter().enumerate() {
        for word in line.unwrap_or("").split_whitespace() {
            // A batch has fewer than 2^31 rows (ABI §5.5), so the row fits an int32.
            chunk.rows.append_value(row as i32);
            chunk.words.append_value(word);
            if chunk.len() == CHUNK_ROWS {
                chunk.emit(out)?;
            }
        }
    }
    chunk.emit(out)
}

wasm_flight_guest::export_functions! {
    table split_words => split_words, row_index "row",
        output ["row": int32, "word": utf8 nullable];
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{ErrorKind, Session, WF_MORE, WF_OK};

    fn lines(values: &[Option<&str>]) -> OutputBatch {
        let column: Utf8Builder = values.iter().copied().collect();
        OutputBatch::new(values.len()).with_column("line", true, column).unwrap()
    }

    /// (row, word) of every output row, and the row count of each batch.
    fn rows(batches: Vec<OutputBatch>) -> (Vec<(i32, String)>, Vec<usize>) {
        let sizes = batches.iter().map(OutputBatch::num_rows).collect();
        let mut all = Vec::new();
        for batch in batches {
            batch
                .as_input(|b| {
                    let names: Vec<String> =
                        b.columns().iter().map(|c| c.field().to_string()).collect();
                    assert_eq!(names, ["row: int32 not null", "word: utf8"]);
                    let row = b.column(0).unwrap().primitive::<i32>().unwrap();
                    let word = b.column(1).unwrap().utf8().unwrap();
                    all.extend(
                        row.iter()
                            .zip(word.iter())
                            .map(|(r, w)| (r.unwrap(), w.unwrap().to_string())),
                    );
                })
                .unwrap();
        }
        (all, sizes)
    }

    #[test]
    fn one_row_per_word_with_its_input_row() {
        let mut session = Session::new(WF_FUNCTIONS, "split_words").unwrap();
        let input = lines(&[
            Some("the quick  brown"),
            None,
            Some(""),
            Some("\tfox\n\u{3000}jumps "),
            Some("   "),
        ]);
        let (got, sizes) = rows(session.call(input).unwrap());
        let expected: Vec<(i32, String)> =
            [(0, "the"), (0, "quick"), (0, "brown"), (3, "fox"), (3, "jumps")]
                .iter()
                .map(|&(r, w)| (r, w.to_string()))
                .collect();
        assert_eq!((got, sizes, session.statuses()), (expected, vec![5], &[WF_OK][..]));
    }

    #[test]
    fn no_words_give_one_empty_batch_of_the_declared_schema() {
        let mut session = Session::new(WF_FUNCTIONS, "split_words").unwrap();
        let (got, sizes) = rows(session.call(lines(&[None, Some(" ")])).unwrap());
        assert_eq!((got, sizes), (vec![], vec![0]));
        let (got, sizes) = rows(session.call(lines(&[])).unwrap());
        assert_eq!((got, sizes), (vec![], vec![0]));
    }

    #[test]
    fn large_outputs_come_in_chunks_of_65536_rows() {
        // 70,000 lines of 2 words: 140,000 rows in 3 batches.
        let text: Vec<Option<&str>> = vec![Some("a bc"); 70_000];
        let mut session = Session::new(WF_FUNCTIONS, "split_words").unwrap();
        let (got, sizes) = rows(session.call(lines(&text)).unwrap());
        assert_eq!(sizes, [CHUNK_ROWS, CHUNK_ROWS, 140_000 - 2 * CHUNK_ROWS]);
        assert_eq!(session.statuses(), [WF_MORE, WF_MORE, WF_OK]);
        assert_eq!(got.len(), 140_000);
        assert!(got.iter().enumerate().all(|(i, (row, word))| *row == (i / 2) as i32
            && word == if i % 2 == 0 { "a" } else { "bc" }));
        // The next input batch starts over at row 0.
        let (got, _) = rows(session.call(lines(&[Some("z")])).unwrap());
        assert_eq!(got, [(0, "z".to_string())]);
    }

    #[test]
    fn refuses_other_types() {
        let x: PrimitiveBuilder<i64> = [Some(1)].into_iter().collect();
        let batch = OutputBatch::new(1).with_column("x", true, x).unwrap();
        let err = Session::new(WF_FUNCTIONS, "split_words").unwrap().call(batch).unwrap_err();
        assert_eq!(
            (err.kind(), err.message()),
            (ErrorKind::InvalidInput, "column 0 ('x') is int64, expected utf8")
        );
    }

    #[test]
    fn catalog() {
        assert_eq!(
            WF_CATALOG,
            concat!(
                r#"{"functions":[{"name":"split_words","kind":"table","export":"wf_fn_split_words","#,
                r#""row_index":"row","output":[{"name":"row","format":"i","nullable":false},"#,
                r#"{"name":"word","format":"u","nullable":true}]}]}"#
            )
        );
    }
}
