//! `word_count` (aggregate): counts the whitespace-separated words (`str::split_whitespace`) of
//! the utf8 values of the first column over the whole input stream; nulls are ignored. After
//! the last batch it emits one row per distinct word, `word` and `count`, sorted by word
//! (bytewise, i.e. by Unicode code point), in batches of at most 65,536 rows. Without input
//! (or without words) the output is empty, with the declared schema.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use wasm_flight_guest::{
    Aggregate, Batch, Emitter, OutputBatch, PrimitiveBuilder, Result, Utf8Builder,
};

/// Most rows in one output batch.
pub const CHUNK_ROWS: usize = 65_536;

/// The count of every word seen so far, in word order.
#[derive(Debug, Default)]
pub struct WordCount {
    counts: BTreeMap<String, i64>,
}

impl Aggregate for WordCount {
    fn new() -> Result<Self> {
        Ok(WordCount::default())
    }

    fn update(&mut self, input: &Batch) -> Result<()> {
        let lines = input.column(0)?.utf8()?;
        for line in lines.iter().flatten() {
            for word in line.split_whitespace() {
                match self.counts.get_mut(word) {
                    Some(count) => *count += 1,
                    None => {
                        self.counts.insert(word.to_string(), 1);
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self, out: &mut Emitter) -> Result<()> {
        let mut entries = self.counts.into_iter().peekable();
        while entries.peek().is_some() {
            let (mut words, mut counts) = (Utf8Builder::new(), PrimitiveBuilder::<i64>::new());
            for (word, count) in entries.by_ref().take(CHUNK_ROWS) {
                words.append_value(&word);
                counts.append_value(count);
            }
            let batch = OutputBatch::new(words.len()).with_column("word", false, words)?;
            out.emit(batch.with_column("count", false, counts)?)?;
        }
        Ok(())
    }
}

wasm_flight_guest::export_functions! {
    aggregate word_count => WordCount, output ["word": utf8, "count": int64];
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{ErrorKind, Session, WF_MORE, WF_OK};

    fn lines(values: &[Option<&str>]) -> OutputBatch {
        let column: Utf8Builder = values.iter().copied().collect();
        OutputBatch::new(values.len()).with_column("text", true, column).unwrap()
    }

    /// (word, count) of every output row, and the row count of each batch.
    fn rows(batches: Vec<OutputBatch>) -> (Vec<(String, i64)>, Vec<usize>) {
        let sizes = batches.iter().map(OutputBatch::num_rows).collect();
        let mut all = Vec::new();
        for batch in batches {
            batch
                .as_input(|b| {
                    let fields: Vec<String> =
                        b.columns().iter().map(|c| c.field().to_string()).collect();
                    assert_eq!(fields, ["word: utf8 not null", "count: int64 not null"]);
                    let words = b.column(0).unwrap().utf8().unwrap();
                    let counts = b.column(1).unwrap().primitive::<i64>().unwrap();
                    all.extend(
                        words
                            .iter()
                            .zip(counts.iter())
                            .map(|(w, c)| (w.unwrap().to_string(), c.unwrap())),
                    );
                })
                .unwrap();
        }
        (all, sizes)
    }

    #[test]
    fn counts_words_across_batches_sorted_by_word() {
        let mut session = Session::new(WF_FUNCTIONS, "word_count").unwrap();
        assert!(session.call(lines(&[Some("b a  b"), None, Some("")])).unwrap().is_empty());
        assert!(session.call(lines(&[Some("B\té a\n"), Some("b")])).unwrap().is_empty());
        let (got, sizes) = rows(session.finish().unwrap());
        let expected: Vec<(String, i64)> = [("B", 1), ("a", 2), ("b", 3), ("é", 1)]
            .iter()
            .map(|&(w, c)| (w.to_string(), c))
            .collect();
        assert_eq!((got, sizes, session.statuses()), (expected, vec![4], &[WF_OK][..]));
    }

    #[test]
    fn no_input_gives_an_empty_batch_of_the_declared_schema() {
        let mut session = Session::new(WF_FUNCTIONS, "word_count").unwrap();
        assert_eq!(rows(session.finish().unwrap()), (vec![], vec![0]));
        let mut session = Session::new(WF_FUNCTIONS, "word_count").unwrap();
        session.call(lines(&[None, Some("  ")])).unwrap();
        assert_eq!(rows(session.finish().unwrap()), (vec![], vec![0]));
    }

    #[test]
    fn many_words_come_in_chunks_of_65536_rows() {
        let text: Vec<String> = (0..70_000).map(|i| format!("w{i:06} w{i:06}")).collect();
        let column: Vec<Option<&str>> = text.iter().map(|t| Some(t.as_str())).collect();
        let mut session = Session::new(WF_FUNCTIONS, "word_count").unwrap();
        session.call(lines(&column)).unwrap();
        let (got, sizes) = rows(session.finish().unwrap());
        assert_eq!(
            (sizes, session.statuses()),
            (vec![CHUNK_ROWS, 70_000 - CHUNK_ROWS], &[WF_MORE, WF_OK][..])
        );
        assert_eq!(got.len(), 70_000);
        assert!(got.iter().enumerate().all(|(i, (w, c))| *w == format!("w{i:06}") && *c == 2));
    }

    #[test]
    fn a_new_session_starts_from_zero() {
        let mut session = Session::new(WF_FUNCTIONS, "word_count").unwrap();
        session.call(lines(&[Some("x")])).unwrap();
        let mut session = Session::new(WF_FUNCTIONS, "word_count").unwrap();
        session.call(lines(&[Some("y")])).unwrap();
        assert_eq!(rows(session.finish().unwrap()).0, [("y".to_string(), 1)]);
    }

    #[test]
    fn refuses_other_types() {
        let x: PrimitiveBuilder<i64> = [Some(1)].into_iter().collect();
        let batch = OutputBatch::new(1).with_column("x", true, x).unwrap();
        let err = Session::new(WF_FUNCTIONS, "word_count").unwrap().call(batch).unwrap_err();
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
                r#"{"functions":[{"name":"word_count","kind":"aggregate","export":"wf_fn_word_count","#,
                r#""finish":"wf_finish_word_count","output":[{"name":"word","format":"u","nullable":false},"#,
                r#"{"name":"count","format":"l","nullable":false}]}]}"#
            )
        );
    }
}
