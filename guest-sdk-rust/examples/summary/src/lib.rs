//! `summary` (aggregate): count, minimum, maximum and mean of the first column over the whole
//! input stream, as one row after the last batch.
//!
//! - Input: column 0, float64, or int64 converted to float64 (`as f64`: values beyond ±2^53
//!   round to the nearest float64). Nulls are skipped; other types are refused.
//! - Output (declared): `count` (int64, not nullable) — the number of non-null values —, `min`,
//!   `max` and `mean` (float64, nullable), all three null when `count` is 0, also without any
//!   input batch.
//! - `mean` is `sum / count`, the sum accumulated in float64 in input order (no compensated
//!   summation), so it carries the rounding of a plain float64 sum.
//! - NaN: a NaN value counts and makes the sum and so the mean NaN; `min` and `max` skip NaN
//!   (as `f64::min` and `f64::max` do) unless every value is NaN.

#![forbid(unsafe_code)]

use wasm_flight_guest::{
    Aggregate, Batch, DataType, Emitter, Error, OutputBatch, PrimitiveBuilder, Result,
};

/// The summary of the values seen so far.
#[derive(Debug, Default)]
pub struct Summary {
    count: i64,
    sum: f64,
    /// `None` until the first value.
    min_max: Option<(f64, f64)>,
}

impl Summary {
    fn add(&mut self, value: f64) {
        self.count += 1;
        self.sum += value;
        self.min_max = Some(match self.min_max {
            None => (value, value),
            Some((min, max)) => (min.min(value), max.max(value)),
        });
    }
}

impl Aggregate for Summary {
    fn new() -> Result<Self> {
        Ok(Summary::default())
    }

    fn update(&mut self, input: &Batch) -> Result<()> {
        let column = input.column(0)?;
        match column.field().data_type() {
            DataType::Float64 => {
                column.primitive::<f64>()?.iter().flatten().for_each(|v| self.add(v))
            }
            DataType::Int64 => {
                column.primitive::<i64>()?.iter().flatten().for_each(|v| self.add(v as f64))
            }
            other => {
                return Err(Error::invalid_input(format!(
                    "column 0 ('{}') is {other}, expected float64 or int64",
                    column.name()
                )))
            }
        }
        Ok(())
    }

    fn finish(self, out: &mut Emitter) -> Result<()> {
        let (min, max) = match self.min_max {
            Some((min, max)) => (Some(min), Some(max)),
            None => (None, None),
        };
        let mean = if self.count > 0 { Some(self.sum / self.count as f64) } else { None };
        let column = |v: Option<f64>| [v].into_iter().collect::<PrimitiveBuilder<f64>>();
        let count: PrimitiveBuilder<i64> = [Some(self.count)].into_iter().collect();
        let batch = OutputBatch::new(1)
            .with_column("count", false, count)?
            .with_column("min", true, column(min))?
            .with_column("max", true, column(max))?
            .with_column("mean", true, column(mean))?;
        out.emit(batch)
    }
}

wasm_flight_guest::export_functions! {
    aggregate summary => Summary,
        output ["count": int64, "min": float64 nullable, "max": float64 nullable, "mean": float64 nullable];
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{ErrorKind, Session, Utf8Builder, WF_OK};

    fn floats(values: &[Option<f64>]) -> OutputBatch {
        let column: PrimitiveBuilder<f64> = values.iter().copied().collect();
        OutputBatch::new(values.len()).with_column("v", true, column).unwrap()
    }

    fn ints(values: &[Option<i64>]) -> OutputBatch {
        let column: PrimitiveBuilder<i64> = values.iter().copied().collect();
        OutputBatch::new(values.len()).with_column("n", true, column).unwrap()
    }

    /// Runs a session over `batches`: (count, min, max, mean).
    fn summary(batches: Vec<OutputBatch>) -> (i64, Option<f64>, Option<f64>, Option<f64>) {
        let mut session = Session::new(WF_FUNCTIONS, "summary").unwrap();
        for batch in batches {
            assert!(session.call(batch).unwrap().is_empty());
        }
        let mut out = session.finish().unwrap();
        assert_eq!((out.len(), session.statuses()), (1, &[WF_OK][..]));
        out.pop()
            .unwrap()
            .as_input(|b| {
                let fields: Vec<String> =
                    b.columns().iter().map(|c| c.field().to_string()).collect();
                assert_eq!(
                    fields,
                    ["count: int64 not null", "min: float64", "max: float64", "mean: float64"]
                );
                assert_eq!(b.num_rows(), 1);
                let f = |i: usize| b.column(i).unwrap().primitive::<f64>().unwrap().get(0);
                (b.column(0).unwrap().primitive::<i64>().unwrap().get(0).unwrap(), f(1), f(2), f(3))
            })
            .unwrap()
    }

    #[test]
    fn summarises_the_whole_stream_skipping_nulls() {
        let got = summary(vec![
            floats(&[Some(2.0), None, Some(-1.5)]),
            floats(&[]),
            floats(&[Some(8.5)]),
        ]);
        assert_eq!(got, (3, Some(-1.5), Some(8.5), Some(3.0)));
    }

    #[test]
    fn int64_is_converted() {
        assert_eq!(
            summary(vec![ints(&[Some(1), Some(2), None]), ints(&[Some(6)])]),
            (3, Some(1.0), Some(6.0), Some(3.0))
        );
    }

    #[test]
    fn no_values_give_nulls() {
        assert_eq!(summary(vec![]), (0, None, None, None));
        assert_eq!(summary(vec![floats(&[None, None])]), (0, None, None, None));
    }

    #[test]
    fn nan_counts_and_poisons_only_the_mean() {
        let (count, min, max, mean) =
            summary(vec![floats(&[Some(1.0), Some(f64::NAN), Some(3.0)])]);
        assert_eq!((count, min, max), (3, Some(1.0), Some(3.0)));
        assert!(mean.unwrap().is_nan());
    }

    #[test]
    fn refuses_other_types() {
        let s: Utf8Builder = [Some("1")].into_iter().collect();
        let batch = OutputBatch::new(1).with_column("s", true, s).unwrap();
        let err = Session::new(WF_FUNCTIONS, "summary").unwrap().call(batch).unwrap_err();
        assert_eq!(
            (err.kind(), err.message()),
            (ErrorKind::InvalidInput, "column 0 ('s') is utf8, expected float64 or int64")
        );
    }

    #[test]
    fn catalog() {
        assert_eq!(
            WF_CATALOG,
            concat!(
                r#"{"functions":[{"name":"summary","kind":"aggregate","export":"wf_fn_summary","#,
                r#""finish":"wf_finish_summary","output":[{"name":"count","format":"l","nullable":false},"#,
                r#"{"name":"min","format":"g","nullable":true},{"name":"max","format":"g","nullable":true},"#,
                r#"{"name":"mean","format":"g","nullable":true}]}]}"#
            )
        );
    }
}
