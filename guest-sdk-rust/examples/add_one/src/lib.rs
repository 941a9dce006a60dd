//! `add_one`: adds 1 (wrapping) to the int64 values of the first column, keeping its name and
//! its nulls. Any other column type is refused as invalid input.

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, OutputBatch, Result};

pub fn add_one(input: &Batch) -> Result<OutputBatch> {
    let column = input.column(0)?;
    // `map` runs one tight loop over the values and copies the null bitmap in bulk.
    let out = column.primitive::<i64>()?.map(|x| x.wrapping_add(1));
    OutputBatch::new(input.num_rows()).with_column(column.name(), column.is_nullable(), out)
}

wasm_flight_guest::export_functions! {
    map add_one => add_one;
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{ErrorKind, PrimitiveBuilder, Utf8Builder};

    #[test]
    fn adds_one_and_keeps_nulls() {
        let x: PrimitiveBuilder<i64> = [Some(1), None, Some(i64::MAX)].into_iter().collect();
        let batch = OutputBatch::new(3).with_column("x", true, x).unwrap();
        let out = batch.as_input(add_one).unwrap().unwrap();
        let got = out.as_input(|b| {
            let c = b.column(0).unwrap();
            (c.name().to_string(), c.primitive::<i64>().unwrap().iter().collect::<Vec<_>>())
        });
        assert_eq!(got.unwrap(), ("x".to_string(), vec![Some(2), None, Some(i64::MIN)]));
    }

    #[test]
    fn refuses_other_types() {
        let s: Utf8Builder = [Some("a")].into_iter().collect();
        let batch = OutputBatch::new(1).with_column("s", true, s).unwrap();
        let err = batch.as_input(add_one).unwrap().err().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.message(), "column 0 ('s') is utf8, expected int64");
        let err = OutputBatch::new(0).as_input(add_one).unwrap().err().unwrap();
        assert_eq!(err.message(), "the input has 0 column(s), column 0 is required");
    }

    #[test]
    fn catalog() {
        assert_eq!(
            WF_CATALOG,
            r#"{"functions":[{"name":"add_one","kind":"map","export":"wf_fn_add_one"}]}"#
        );
    }
}
