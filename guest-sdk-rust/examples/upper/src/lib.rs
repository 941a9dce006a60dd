//! `upper`: upper-cases (Unicode `to_uppercase`) the utf8 values of the first column, keeping
//! its name and its nulls.

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, OutputBatch, Result, Utf8Builder};

pub fn upper(input: &Batch) -> Result<OutputBatch> {
    let column = input.column(0)?;
    let out: Utf8Builder = column.utf8()?.iter().map(|v| v.map(str::to_uppercase)).collect();
    OutputBatch::new(input.num_rows()).with_column(column.name(), column.is_nullable(), out)
}

wasm_flight_guest::export_functions! {
    map upper => upper;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_cases_and_keeps_nulls() {
        let s: Utf8Builder = [Some("straße"), None, Some(""), Some("ǆ ok")].into_iter().collect();
        let batch = OutputBatch::new(4).with_column("name", true, s).unwrap();
        let out = batch.as_input(upper).unwrap().unwrap();
        let got = out.as_input(|b| {
            let c = b.column_by_name("name").unwrap().utf8().unwrap();
            c.iter().map(|v| v.map(String::from)).collect::<Vec<_>>()
        });
        let expected = [Some("STRASSE"), None, Some(""), Some("Ǆ OK")];
        assert_eq!(got.unwrap(), expected.map(|v| v.map(String::from)));
    }
}
