//! `gcd` (map): the greatest common divisor of `|a|` and `|b|` per row, NULL when either is
//! NULL; `gcd(0, 0)` is 0.
//!
//! Input (declared in the catalog, so the host refuses any other before the guest runs): `a`
//! and `b`, int32, nullable. Output (declared): `gcd`, int32, nullable.
//!
//! The arithmetic is on `u32` (`i32::unsigned_abs`), so `i32::MIN` is fine as an input. The one
//! result that does not fit an int32 is 2^31 (`gcd(-2147483648, 0)`, `gcd(0, -2147483648)`,
//! `gcd(-2147483648, -2147483648)`): the batch then fails with an execution error saying so,
//! which the client sees as the guest's message.

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, Error, OutputBatch, PrimitiveBuilder, Result};

/// Euclid's algorithm on magnitudes.
pub fn gcd_u32(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

/// `gcd(|a|, |b|)` as an int32, or the error for the one value that does not fit.
pub fn gcd_i32(a: i32, b: i32) -> Result<i32> {
    let g = gcd_u32(a.unsigned_abs(), b.unsigned_abs());
    i32::try_from(g).map_err(|_| Error::execution(format!("gcd({a}, {b}) does not fit in int32")))
}

pub fn gcd(input: &Batch) -> Result<OutputBatch> {
    // The host has checked the input against the declared one: columns a and b, int32.
    let a = input.column(0)?.primitive::<i32>()?;
    let b = input.column(1)?.primitive::<i32>()?;
    let mut out = PrimitiveBuilder::<i32>::with_capacity(input.num_rows());
    for (a, b) in a.iter().zip(b.iter()) {
        match (a, b) {
            (Some(a), Some(b)) => out.append_value(gcd_i32(a, b)?),
            _ => out.append_null(),
        }
    }
    OutputBatch::new(input.num_rows()).with_column("gcd", true, out)
}

wasm_flight_guest::export_functions! {
    map gcd => gcd, input ["a": int32 nullable, "b": int32 nullable],
        output ["gcd": int32 nullable];
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{DataType, ErrorKind, Field, Session, WF_OK};

    fn pairs(rows: &[(Option<i32>, Option<i32>)]) -> OutputBatch {
        let a: PrimitiveBuilder<i32> = rows.iter().map(|r| r.0).collect();
        let b: PrimitiveBuilder<i32> = rows.iter().map(|r| r.1).collect();
        OutputBatch::new(rows.len())
            .with_column("a", true, a)
            .and_then(|batch| batch.with_column("b", true, b))
            .unwrap()
    }

    /// Runs gcd through its export, as the host does, and reads the one output column.
    fn run(rows: &[(Option<i32>, Option<i32>)]) -> Result<Vec<Option<i32>>> {
        let mut session = Session::new(WF_FUNCTIONS, "gcd")?;
        let mut out = session.call(pairs(rows))?;
        assert_eq!(session.statuses(), [WF_OK]);
        assert_eq!(out.len(), 1);
        out.remove(0).as_input(|b| {
            let fields: Vec<String> = b.columns().iter().map(|c| c.field().to_string()).collect();
            assert_eq!(fields, ["gcd: int32"]);
            b.column(0).unwrap().primitive::<i32>().unwrap().iter().collect()
        })
    }

    #[test]
    fn gcd_of_magnitudes() {
        let got = run(&[
            (Some(12), Some(18)),
            (Some(-12), Some(18)),
            (Some(12), Some(-18)),
            (Some(-12), Some(-18)),
            (Some(17), Some(5)),
            (Some(7), Some(7)),
            (Some(1), Some(i32::MAX)),
            (Some(i32::MAX), Some(i32::MAX)),
            (Some(i32::MAX), Some(i32::MAX - 1)),
        ])
        .unwrap();
        let expected = [6, 6, 6, 6, 1, 7, 1, i32::MAX, 1];
        assert_eq!(got, expected.iter().map(|&g| Some(g)).collect::<Vec<_>>());
    }

    #[test]
    fn zeros() {
        let got = run(&[
            (Some(0), Some(0)),
            (Some(0), Some(5)),
            (Some(-5), Some(0)),
            (Some(0), Some(i32::MAX)),
        ])
        .unwrap();
        assert_eq!(got, [Some(0), Some(5), Some(5), Some(i32::MAX)]);
    }

    #[test]
    fn null_when_either_is_null() {
        let got = run(&[
            (None, Some(4)),
            (Some(4), None),
            (None, None),
            (Some(4), Some(6)),
            (None, Some(0)),
        ])
        .unwrap();
        assert_eq!(got, [None, None, None, Some(2), None]);
    }

    #[test]
    fn i32_min_where_it_fits() {
        let min = i32::MIN; // -2^31
        let got = run(&[
            (Some(min), Some(6)),
            (Some(6), Some(min)),
            (Some(min), Some(i32::MAX)),
            (Some(min), Some(-(1 << 30))),
            (Some(min), None),
        ])
        .unwrap();
        assert_eq!(got, [Some(2), Some(2), Some(1), Some(1 << 30), None]);
    }

    #[test]
    fn two_to_the_31_fails_the_batch_with_a_clear_message() {
        for (a, b) in [(i32::MIN, 0), (0, i32::MIN), (i32::MIN, i32::MIN)] {
            let err = run(&[(Some(4), Some(2)), (Some(a), Some(b))]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Execution);
            assert_eq!(err.message(), format!("gcd({a}, {b}) does not fit in int32"));
        }
        let err = run(&[(Some(i32::MIN), Some(0))]).unwrap_err();
        assert_eq!(err.message(), "gcd(-2147483648, 0) does not fit in int32");
        // The same session goes on after an error, as the host's does.
        let mut session = Session::new(WF_FUNCTIONS, "gcd").unwrap();
        let err = session.call(pairs(&[(Some(i32::MIN), Some(0))])).unwrap_err();
        assert_eq!(session.statuses(), [ErrorKind::Execution.status()]);
        assert_eq!(err.message(), "gcd(-2147483648, 0) does not fit in int32");
        let mut out = session.call(pairs(&[(Some(9), Some(6))])).unwrap();
        let got =
            out.remove(0).as_input(|b| b.column(0).unwrap().primitive::<i32>().unwrap().value(0));
        assert_eq!(got.unwrap(), 3);
    }

    #[test]
    fn many_rows() {
        // 5,000 rows: gcd(i * 6, i * 4) = 2i, with every 7th a null.
        let rows: Vec<(Option<i32>, Option<i32>)> = (0..5_000)
            .map(|i| (if i % 7 == 3 { None } else { Some(i * 6) }, Some(-i * 4)))
            .collect();
        let got = run(&rows).unwrap();
        assert_eq!(got.len(), 5_000);
        for (i, g) in got.iter().enumerate() {
            let i = i as i32;
            assert_eq!(*g, if i % 7 == 3 { None } else { Some(2 * i) }, "row {i}");
        }
        assert_eq!(run(&[]).unwrap(), []);
    }

    #[test]
    fn gcd_u32_agrees_with_a_slow_reference() {
        fn slow(a: u32, b: u32) -> u32 {
            (1..=a.max(b)).rev().find(|d| a % d == 0 && b % d == 0).unwrap_or(0)
        }
        for a in 0..60 {
            for b in 0..60 {
                assert_eq!(gcd_u32(a, b), slow(a, b), "gcd({a}, {b})");
            }
        }
        assert_eq!(gcd_u32(1 << 31, 0), 1 << 31);
        assert_eq!(gcd_u32(1 << 31, 3 << 20), 1 << 20);
    }

    #[test]
    fn catalog_declares_input_and_output() {
        assert_eq!(
            WF_CATALOG,
            concat!(
                r#"{"functions":[{"name":"gcd","kind":"map","export":"wf_fn_gcd","#,
                r#""input":[{"name":"a","format":"i","nullable":true},"#,
                r#"{"name":"b","format":"i","nullable":true}],"#,
                r#""output":[{"name":"gcd","format":"i","nullable":true}]}]}"#
            )
        );
        let f = &WF_FUNCTIONS[0];
        assert_eq!(
            f.input(),
            Some(vec![
                Field::new("a", DataType::Int32, true),
                Field::new("b", DataType::Int32, true)
            ])
        );
        assert_eq!(f.output(), Some(vec![Field::new("gcd", DataType::Int32, true)]));
    }
}
