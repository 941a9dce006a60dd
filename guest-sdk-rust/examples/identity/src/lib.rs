//! `identity`: returns every input column rebuilt through the SDK — each column's view deep-copied
//! with `ArrayBuilder::copy_of` (same name, type, nullability, metadata and values, nested
//! children and dictionaries included), and the batch's schema-level metadata. Any Arrow type
//! of `proto-docs/types.md` passes through bit for bit; the host's pointers are never handed
//! back.

#![forbid(unsafe_code)]

use wasm_flight_guest::{ArrayBuilder, Batch, OutputBatch, Result};

pub fn identity(input: &Batch) -> Result<OutputBatch> {
    let mut output = OutputBatch::new(input.num_rows()).with_metadata(input.metadata().clone());
    for column in input.columns() {
        output = output.with_array(ArrayBuilder::copy_of(&column.array())?)?;
    }
    Ok(output)
}

wasm_flight_guest::export_functions! {
    map identity => identity;
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_flight_guest::{
        ArrayView, DataType, Metadata, PrimitiveBuilder, TimeUnit, Utf8Builder, Utf8ViewBuilder,
    };

    /// The same field and the same bytes in every buffer, recursively.
    fn assert_identical(a: &ArrayView<'_>, b: &ArrayView<'_>) {
        assert_eq!(a.field(), b.field());
        assert_eq!((a.offset(), a.len(), a.null_count()), (b.offset(), b.len(), b.null_count()));
        assert_eq!(a.buffers(), b.buffers());
        assert_eq!(a.num_children(), b.num_children());
        for i in 0..a.num_children() {
            assert_identical(&a.child(i), &b.child(i));
        }
        assert_eq!(a.dictionary().is_some(), b.dictionary().is_some());
        if let (Some(x), Some(y)) = (a.dictionary(), b.dictionary()) {
            assert_identical(&x, &y);
        }
    }

    #[test]
    fn copies_every_column_and_the_metadata() {
        let ts: PrimitiveBuilder<i64> = [Some(1), None, Some(3)].into_iter().collect();
        let ts = ArrayBuilder::from(ts)
            .with_data_type(DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())))
            .unwrap()
            .with_metadata(Metadata::new().with("unit", "µs"));
        let words: Utf8Builder = [Some("a"), Some("bb"), None, Some("a")].into_iter().collect();
        let keys: PrimitiveBuilder<i8> = [Some(0), Some(1), Some(3)].into_iter().collect();
        let dict = ArrayBuilder::new_dictionary(keys.into(), words.into(), false).unwrap();
        let views: Utf8ViewBuilder =
            [Some("inline"), Some("a value longer than twelve bytes"), None].into_iter().collect();
        let list = ArrayBuilder::new_list(views.into(), [Some(2), None, Some(1)]).unwrap();
        let s = ArrayBuilder::new_struct(3, vec![dict.with_name("d"), list.with_name("l")], None)
            .unwrap();
        let batch = OutputBatch::new(3)
            .with_array(ts.with_name("ts"))
            .and_then(|b| b.with_array(s.with_name("s").with_nullable(false)))
            .unwrap()
            .with_metadata(Metadata::new().with("origin", "test"));
        batch
            .as_input(|input| {
                let output = identity(input).unwrap();
                output
                    .as_input(|output| {
                        assert_eq!(output.metadata(), input.metadata());
                        assert_eq!(output.num_columns(), 2);
                        for (a, b) in input.columns().iter().zip(output.columns()) {
                            assert_identical(&a.array(), &b.array());
                        }
                    })
                    .unwrap();
            })
            .unwrap();
    }

    #[test]
    fn no_columns_no_rows() {
        let out = OutputBatch::new(0).as_input(identity).unwrap().unwrap();
        assert_eq!((out.num_rows(), out.num_columns()), (0, 0));
    }

    #[test]
    fn catalog() {
        assert_eq!(
            WF_CATALOG,
            r#"{"functions":[{"name":"identity","kind":"map","export":"wf_fn_identity"}]}"#
        );
    }
}
