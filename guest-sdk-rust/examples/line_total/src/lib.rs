//! `line_total`: `total = price * qty` per row, null when either is null, next to the row's `id`.
//!
//! Input: columns `id` (int64), `price` (float64) and `qty` (int64), found by name; other columns
//! are ignored. Output (declared in the catalog, so fixed): `id` passed through (int64, nullable)
//! and `total` (float64, nullable) — a different schema from the input.

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, OutputBatch, PrimitiveBuilder, Result};

pub fn line_total(input: &Batch) -> Result<OutputBatch> {
    let id = input.column_by_name("id")?.primitive::<i64>()?;
    let price = input.column_by_name("price")?.primitive::<f64>()?;
    let qty = input.column_by_name("qty")?.primitive::<i64>()?;
    let total: PrimitiveBuilder<f64> =
        price.iter().zip(qty.iter()).map(|(p, q)| Some(p? * q? as f64)).collect();
    let id: PrimitiveBuilder<i64> = id.iter().collect();
    OutputBatch::new(input.num_rows())
        .with_column("id", true, id)?
        .with_column("total", true, total)
}

wasm_flight_guest::export_functions! {
    map line_total => line_total, output ["id": int64 nullable, "total": float64 nullable];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplies_by_name() {
        let id: PrimitiveBuilder<i64> = [Some(7), Some(8), Some(9)].into_iter().collect();
        let qty: PrimitiveBuilder<i64> = [Some(2), None, Some(3)].into_iter().collect();
        let price: PrimitiveBuilder<f64> = [Some(1.5), Some(2.0), Some(0.25)].into_iter().collect();
        let batch = OutputBatch::new(3)
            .with_column("id", false, id)
            .and_then(|b| b.with_column("qty", true, qty))
            .and_then(|b| b.with_column("price", true, price))
            .unwrap();
        let out = batch.as_input(line_total).unwrap().unwrap();
        let got = out.as_input(|b| {
            assert_eq!(b.num_columns(), 2);
            let id = b.column(0).unwrap();
            assert_eq!(id.name(), "id");
            let total = b.column(1).unwrap();
            assert_eq!(total.name(), "total");
            (
                id.primitive::<i64>().unwrap().iter().collect::<Vec<_>>(),
                total.primitive::<f64>().unwrap().iter().collect::<Vec<_>>(),
            )
        });
        let (ids, totals) = got.unwrap();
        assert_eq!(ids, [Some(7), Some(8), Some(9)]);
        assert_eq!(totals, [Some(3.0), None, Some(0.75)]);
    }

    #[test]
    fn missing_column() {
        let qty: PrimitiveBuilder<i64> = [Some(2)].into_iter().collect();
        let id: PrimitiveBuilder<i64> = [Some(1)].into_iter().collect();
        let batch = OutputBatch::new(1)
            .with_column("id", true, id)
            .and_then(|b| b.with_column("qty", true, qty))
            .unwrap();
        let err = batch.as_input(line_total).unwrap().err().unwrap();
        assert_eq!(err.message(), "the input has no column named 'price'");
    }

    #[test]
    fn catalog_declares_output() {
        assert_eq!(
            WF_CATALOG,
            concat!(
                r#"{"functions":[{"name":"line_total","kind":"map","export":"wf_fn_line_total","#,
                r#""output":[{"name":"id","format":"l","nullable":true},"#,
                r#"{"name":"total","format":"g","nullable":true}]}]}"#
            )
        );
    }
}
