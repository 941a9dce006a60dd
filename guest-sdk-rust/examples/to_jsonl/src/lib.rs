//! `to_jsonl` (table): each input row becomes one output row, `json` (utf8, not nullable), the
//! row as a JSON object text `{"col":value,...}` with the columns in order — one line of a
//! JSON Lines file.
//!
//! - Column types: int8 … int64 and uint8 … uint64 (JSON integers), float16, float32, float64,
//!   bool (`true` / `false`), utf8, large_utf8 and utf8_view (JSON strings); a null is `null`.
//!   Any other type is refused as invalid input, naming the column.
//! - Floats print the shortest text that reads back as the same value (of the column's own
//!   width), with a `.0` on integral values and an exponent below 1e-4 and from 1e16 on
//!   (`1.0`, `0.1`, `1e16`, `2.5e-7`); NaN and ±infinity, which JSON lacks, are `null`.
//! - Strings (values and column names) escape `"` and `\`, and the control characters below
//!   U+0020 as `\u00XX`; everything else is written as is (UTF-8). Duplicate column names give
//!   duplicate keys.
//! - Output batches hold at most 65,536 rows.

#![forbid(unsafe_code)]

use std::fmt::Write;

use wasm_flight_guest::{
    Batch, BoolArray, Column, DataType, Emitter, Error, LargeUtf8Array, OutputBatch,
    PrimitiveArray, Result, Utf8Array, Utf8Builder, Utf8ViewArray, F16,
};

/// Most rows in one output batch.
pub const CHUNK_ROWS: usize = 65_536;

/// A column, viewed as its type.
enum Values<'a> {
    I8(PrimitiveArray<'a, i8>),
    I16(PrimitiveArray<'a, i16>),
    I32(PrimitiveArray<'a, i32>),
    I64(PrimitiveArray<'a, i64>),
    U8(PrimitiveArray<'a, u8>),
    U16(PrimitiveArray<'a, u16>),
    U32(PrimitiveArray<'a, u32>),
    U64(PrimitiveArray<'a, u64>),
    F16(PrimitiveArray<'a, F16>),
    F32(PrimitiveArray<'a, f32>),
    F64(PrimitiveArray<'a, f64>),
    Bool(BoolArray<'a>),
    Utf8(Utf8Array<'a>),
    LargeUtf8(LargeUtf8Array<'a>),
    Utf8View(Utf8ViewArray<'a>),
}

impl<'a> Values<'a> {
    fn of(column: &'a Column<'a>) -> Result<Values<'a>> {
        let array = column.array();
        Ok(match column.field().data_type() {
            DataType::Int8 => Values::I8(column.primitive()?),
            DataType::Int16 => Values::I16(column.primitive()?),
            DataType::Int32 => Values::I32(column.primitive()?),
            DataType::Int64 => Values::I64(column.primitive()?),
            DataType::UInt8 => Values::U8(column.primitive()?),
            DataType::UInt16 => Values::U16(column.primitive()?),
            DataType::UInt32 => Values::U32(column.primitive()?),
            DataType::UInt64 => Values::U64(column.primitive()?),
            DataType::Float16 => Values::F16(column.primitive()?),
            DataType::Float32 => Values::F32(column.primitive()?),
            DataType::Float64 => Values::F64(column.primitive()?),
            DataType::Bool => Values::Bool(column.boolean()?),
            DataType::Utf8 => Values::Utf8(column.utf8()?),
            DataType::LargeUtf8 => Values::LargeUtf8(array.as_large_utf8()?),
            DataType::Utf8View => Values::Utf8View(array.as_utf8_view()?),
            other => {
                return Err(Error::invalid_input(format!(
                    "column {} ('{}') is {other}, which to_jsonl cannot write: expected an \
                     integer, float, bool or utf8 column",
                    column.index(),
                    column.name()
                )))
            }
        })
    }

    /// Appends the JSON text of row `i`.
    fn write(&self, i: usize, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match self {
            Values::I8(v) => write_display(v.get(i), out),
            Values::I16(v) => write_display(v.get(i), out),
            Values::I32(v) => write_display(v.get(i), out),
            Values::I64(v) => write_display(v.get(i), out),
            Values::U8(v) => write_display(v.get(i), out),
            Values::U16(v) => write_display(v.get(i), out),
            Values::U32(v) => write_display(v.get(i), out),
            Values::U64(v) => write_display(v.get(i), out),
            Values::F16(v) => write_float(v.get(i).map(F16::to_f32), out),
            Values::F32(v) => write_float(v.get(i), out),
            Values::F64(v) => write_float(v.get(i), out),
            Values::Bool(v) => write_display(v.get(i), out),
            Values::Utf8(v) => write_string(v.get(i), out),
            Values::LargeUtf8(v) => write_string(v.get(i), out),
            Values::Utf8View(v) => write_string(v.get(i), out),
        };
    }
}

fn write_display(value: Option<impl std::fmt::Display>, out: &mut String) -> std::fmt::Result {
    match value {
        Some(value) => write!(out, "{value}"),
        None => {
            out.push_str("null");
            Ok(())
        }
    }
}

/// A float type the JSON text of which is its shortest round-trip text (`Display`, `LowerExp`).
trait Float: std::fmt::Display + std::fmt::LowerExp + Copy {
    fn is_finite(self) -> bool;
    fn abs_f64(self) -> f64;
}

impl Float for f32 {
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }

    fn abs_f64(self) -> f64 {
        f64::from(self.abs())
    }
}

impl Float for f64 {
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }

    fn abs_f64(self) -> f64 {
        self.abs()
    }
}

/// `null` for null, NaN and ±infinity; an exponent below 1e-4 and from 1e16 on; `.0` on an
/// integral value. Rust's `Display` and `LowerExp` print the shortest digits that read back as
/// the same value, never more.
fn write_float<T: Float>(value: Option<T>, out: &mut String) -> std::fmt::Result {
    let value = match value {
        Some(value) if value.is_finite() => value,
        _ => {
            out.push_str("null");
            return Ok(());
        }
    };
    let abs = value.abs_f64();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        return write!(out, "{value:e}");
    }
    let start = out.len();
    write!(out, "{value}")?;
    if !out[start..].contains('.') {
        out.push_str(".0");
    }
    Ok(())
}

/// A JSON string: `"` and `\` escaped, control characters as `\u00XX`.
fn write_string(value: Option<&str>, out: &mut String) -> std::fmt::Result {
    let value = match value {
        Some(value) => value,
        None => {
            out.push_str("null");
            return Ok(());
        }
    };
    out.push('"');
    let mut rest = value;
    while let Some(at) = rest.find(|c: char| c < ' ' || c == '"' || c == '\\') {
        out.push_str(&rest[..at]);
        match rest.as_bytes()[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            control => write!(out, "\\u{:04x}", control)?,
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
    Ok(())
}

pub fn to_jsonl(input: &Batch, out: &mut Emitter) -> Result<()> {
    let columns: Vec<(String, Values)> = input
        .columns()
        .iter()
        .map(|column| {
            let mut key = String::new();
            let _ = write_string(Some(column.name()), &mut key);
            key.push(':');
            Ok((key, Values::of(column)?))
        })
        .collect::<Result<_>>()?;
    let mut json = Utf8Builder::new();
    let mut line = String::new();
    for row in 0..input.num_rows() {
        line.clear();
        line.push('{');
        for (i, (key, values)) in columns.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(key);
            values.write(row, &mut line);
        }
        line.push('}');
        json.append_value(&line);
        if json.len() == CHUNK_ROWS {
            let full = std::mem::take(&mut json);
            out.emit(OutputBatch::new(full.len()).with_column("json", false, full)?)?;
        }
    }
    if !json.is_empty() {
        out.emit(OutputBatch::new(json.len()).with_column("json", false, json)?)?;
    }
    Ok(())
}

wasm_flight_guest::export_functions! {
    table to_jsonl => to_jsonl, output ["json": utf8];
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{
        ArrayBuilder, BoolBuilder, ErrorKind, LargeUtf8Builder, PrimitiveBuilder, Session,
        Utf8ViewBuilder, WF_MORE, WF_OK,
    };

    fn lines(batch: OutputBatch) -> Result<(Vec<String>, Vec<usize>)> {
        let mut session = Session::new(WF_FUNCTIONS, "to_jsonl")?;
        let batches = session.call(batch)?;
        let sizes = batches.iter().map(OutputBatch::num_rows).collect();
        let mut all = Vec::new();
        for batch in batches {
            batch.as_input(|b| {
                assert_eq!(b.column(0).unwrap().field().to_string(), "json: utf8 not null");
                all.extend(
                    b.column(0).unwrap().utf8().unwrap().iter().map(|v| v.unwrap().to_string()),
                );
            })?;
        }
        Ok((all, sizes))
    }

    fn json(value: impl Into<ArrayBuilder>, rows: usize) -> Vec<String> {
        lines(OutputBatch::new(rows).with_column("v", true, value).unwrap()).unwrap().0
    }

    #[test]
    fn rows_become_objects_in_column_order() {
        let id: PrimitiveBuilder<i64> = [Some(1), Some(-2), None].into_iter().collect();
        let name: Utf8Builder = [Some("a"), None, Some("c")].into_iter().collect();
        let ok: BoolBuilder = [Some(true), Some(false), None].into_iter().collect();
        let batch = OutputBatch::new(3)
            .with_column("id", true, id)
            .and_then(|b| b.with_column("name", true, name))
            .and_then(|b| b.with_column("ok", true, ok))
            .unwrap();
        let (got, sizes) = lines(batch).unwrap();
        assert_eq!(
            got,
            [
                r#"{"id":1,"name":"a","ok":true}"#,
                r#"{"id":-2,"name":null,"ok":false}"#,
                r#"{"id":null,"name":"c","ok":null}"#
            ]
        );
        assert_eq!(sizes, [3]);
    }

    #[test]
    fn integers_of_every_width() {
        let i8s: PrimitiveBuilder<i8> = [Some(i8::MIN)].into_iter().collect();
        let u64s: PrimitiveBuilder<u64> = [Some(u64::MAX)].into_iter().collect();
        let i32s: PrimitiveBuilder<i32> = [Some(i32::MAX)].into_iter().collect();
        let u16s: PrimitiveBuilder<u16> = [Some(7)].into_iter().collect();
        let batch = OutputBatch::new(1)
            .with_column("a", true, i8s)
            .and_then(|b| b.with_column("b", true, u64s))
            .and_then(|b| b.with_column("c", true, i32s))
            .and_then(|b| b.with_column("d", false, u16s))
            .unwrap();
        assert_eq!(
            lines(batch).unwrap().0,
            [r#"{"a":-128,"b":18446744073709551615,"c":2147483647,"d":7}"#]
        );
    }

    #[test]
    fn floats_round_trip_and_non_finite_values_are_null() {
        let values = [
            Some(1.0),
            Some(0.1),
            Some(-0.0),
            Some(123456.789),
            Some(1e16),
            Some(2.5e-7),
            Some(1e-4),
            Some(f64::MAX),
            Some(f64::MIN_POSITIVE),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            None,
        ];
        let column: PrimitiveBuilder<f64> = values.iter().copied().collect();
        let got = json(column, values.len());
        let texts: Vec<&str> = got.iter().map(|l| &l[5..l.len() - 1]).collect();
        assert_eq!(
            texts,
            [
                "1.0",
                "0.1",
                "-0.0",
                "123456.789",
                "1e16",
                "2.5e-7",
                "0.0001",
                "1.7976931348623157e308",
                "2.2250738585072014e-308",
                "null",
                "null",
                "null",
                "null"
            ]
        );
        for (text, value) in texts.iter().zip(values) {
            if let Some(v) = value.filter(|v| v.is_finite()) {
                assert_eq!(text.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{text}");
            }
        }
        // float32 prints its own shortest text; float16 that of its float32 value.
        let f32s: PrimitiveBuilder<f32> = [Some(0.1f32), Some(3.0)].into_iter().collect();
        assert_eq!(json(f32s, 2), [r#"{"v":0.1}"#, r#"{"v":3.0}"#]);
        let f16s: PrimitiveBuilder<F16> = [Some(F16::from_f32(0.5)), None].into_iter().collect();
        assert_eq!(json(f16s, 2), [r#"{"v":0.5}"#, r#"{"v":null}"#]);
    }

    #[test]
    fn strings_are_escaped() {
        let s: Utf8Builder = [
            Some("say \"hi\"\\ now"),
            Some("tab\there\nnew\u{1}\u{1f}"),
            Some("é ✓ \u{7f}"),
            Some(""),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            json(s, 4),
            [
                r#"{"v":"say \"hi\"\\ now"}"#,
                r#"{"v":"tab\u0009here\u000anew\u0001\u001f"}"#,
                "{\"v\":\"é ✓ \u{7f}\"}",
                r#"{"v":""}"#
            ]
        );
        let name: Utf8Builder = [Some("x")].into_iter().collect();
        let batch = OutputBatch::new(1).with_column("a \"q\"\n", true, name).unwrap();
        assert_eq!(lines(batch).unwrap().0, [r#"{"a \"q\"\u000a":"x"}"#]);
        let large: LargeUtf8Builder = [Some("l"), None].into_iter().collect();
        assert_eq!(json(large, 2), [r#"{"v":"l"}"#, r#"{"v":null}"#]);
        let views: Utf8ViewBuilder =
            [Some("a string longer than twelve bytes")].into_iter().collect();
        assert_eq!(json(views, 1), [r#"{"v":"a string longer than twelve bytes"}"#]);
    }

    #[test]
    fn no_columns_and_no_rows() {
        assert_eq!(
            lines(OutputBatch::new(2)).unwrap(),
            (vec!["{}".to_string(), "{}".to_string()], vec![2])
        );
        assert_eq!(lines(OutputBatch::new(0)).unwrap(), (vec![], vec![0]));
    }

    #[test]
    fn large_batches_come_in_chunks_of_65536_rows() {
        let column: PrimitiveBuilder<i32> = (0..150_000).map(Some).collect();
        let batch = OutputBatch::new(150_000).with_column("n", false, column).unwrap();
        let mut session = Session::new(WF_FUNCTIONS, "to_jsonl").unwrap();
        let batches = session.call(batch).unwrap();
        let sizes: Vec<usize> = batches.iter().map(OutputBatch::num_rows).collect();
        assert_eq!(sizes, [CHUNK_ROWS, CHUNK_ROWS, 150_000 - 2 * CHUNK_ROWS]);
        assert_eq!(session.statuses(), [WF_MORE, WF_MORE, WF_OK]);
        let last = batches.into_iter().last().unwrap();
        let text = last.as_input(|b| {
            b.column(0).unwrap().utf8().unwrap().get(150_000 - 2 * CHUNK_ROWS - 1).map(String::from)
        });
        assert_eq!(text.unwrap().unwrap(), r#"{"n":149999}"#);
    }

    #[test]
    fn refuses_other_types_naming_the_column() {
        let ints: PrimitiveBuilder<i64> = [Some(1)].into_iter().collect();
        let list = ArrayBuilder::new_list(ints.into(), [Some(1)]).unwrap();
        let ok: BoolBuilder = [Some(true)].into_iter().collect();
        let batch = OutputBatch::new(1)
            .with_column("ok", true, ok)
            .and_then(|b| b.with_column("items", true, list))
            .unwrap();
        let err = lines(batch).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            err.message(),
            "column 1 ('items') is list<item: int64>, which to_jsonl cannot write: expected an \
             integer, float, bool or utf8 column"
        );
    }

    #[test]
    fn catalog() {
        assert_eq!(
            WF_CATALOG,
            concat!(
                r#"{"functions":[{"name":"to_jsonl","kind":"table","export":"wf_fn_to_jsonl","#,
                r#""output":[{"name":"json","format":"u","nullable":false}]}]}"#
            )
        );
    }
}
