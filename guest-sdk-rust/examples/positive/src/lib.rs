//! `positive` (filter): keeps the rows whose first column (int64 or float64, any name) is valid
//! and greater than zero. NaN is not greater than zero; any other column type is refused as
//! invalid input. The host emits the kept rows with every column unchanged.

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, DataType, Error, Result, Selection};

pub fn positive(input: &Batch) -> Result<Selection> {
    let column = input.column(0)?;
    match column.field().data_type() {
        DataType::Int64 => {
            let values = column.primitive::<i64>()?;
            Ok(Selection::from_mask(values.iter().map(|v| v.map_or(false, |v| v > 0))))
        }
        DataType::Float64 => {
            let values = column.primitive::<f64>()?;
            Ok(Selection::from_mask(values.iter().map(|v| v.map_or(false, |v| v > 0.0))))
        }
        other => Err(Error::invalid_input(format!(
            "column 0 ('{}') is {other}, expected int64 or float64",
            column.name()
        ))),
    }
}

wasm_flight_guest::export_functions! {
    filter positive => positive;
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{ErrorKind, OutputBatch, PrimitiveBuilder, Session, Utf8Builder};

    fn kept(batch: OutputBatch) -> Result<Vec<usize>> {
        Session::new(WF_FUNCTIONS, "positive")?.filter(batch)
    }

    #[test]
    fn keeps_valid_values_above_zero() {
        let x: PrimitiveBuilder<i64> =
            [Some(1), None, Some(0), Some(-5), Some(i64::MAX)].into_iter().collect();
        let label: Utf8Builder = ["a", "b", "c", "d", "e"].iter().map(Some).collect();
        let batch = OutputBatch::new(5)
            .with_column("amount", true, x)
            .and_then(|b| b.with_column("label", false, label))
            .unwrap();
        assert_eq!(kept(batch).unwrap(), [0, 4]);
    }

    #[test]
    fn floats_nan_and_negative_zero_are_not_positive() {
        let x: PrimitiveBuilder<f64> = [
            Some(0.5),
            Some(f64::NAN),
            Some(-0.0),
            Some(f64::INFINITY),
            None,
            Some(f64::MIN_POSITIVE),
            Some(-1.0),
        ]
        .into_iter()
        .collect();
        let batch = OutputBatch::new(7).with_column("f", true, x).unwrap();
        assert_eq!(kept(batch).unwrap(), [0, 3, 5]);
    }

    #[test]
    fn empty_batches_keep_nothing() {
        let x: PrimitiveBuilder<i64> = PrimitiveBuilder::new();
        assert_eq!(kept(OutputBatch::new(0).with_column("x", true, x).unwrap()).unwrap(), []);
    }

    #[test]
    fn refuses_other_types() {
        let s: Utf8Builder = [Some("1")].into_iter().collect();
        let err = kept(OutputBatch::new(1).with_column("s", true, s).unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.message(), "column 0 ('s') is utf8, expected int64 or float64");
        let i: PrimitiveBuilder<i32> = [Some(1)].into_iter().collect();
        let err = kept(OutputBatch::new(1).with_column("i", true, i).unwrap()).unwrap_err();
        assert_eq!(err.message(), "column 0 ('i') is int32, expected int64 or float64");
        let err = kept(OutputBatch::new(3)).unwrap_err();
        assert_eq!(err.message(), "the input has 0 column(s), column 0 is required");
    }

    #[test]
    fn catalog() {
        assert_eq!(
            WF_CATALOG,
            r#"{"functions":[{"name":"positive","kind":"filter","export":"wf_fn_positive"}]}"#
        );
    }
}
