//! [`Emitter`]: the output batches of a `table` function or of `finish`, and the hand-out of
//! those batches to the host one per call, with `WF_MORE` while more remain (ABI §6.4, §6.5).

use std::fmt;

use crate::function::OutputField;
use crate::{DataType, Error, Field, OutputBatch, Result};

/// Collects the output batches of a `table` function (for one input batch) or of a `finish`
/// call. The SDK then hands them to the host one per call: `WF_MORE` with each batch but the
/// last, `WF_OK` with the last.
///
/// Every batch of a session has the same schema. When the function declares `output [...]`,
/// that is the schema; otherwise the first batch sets it. [`Emitter::emit`] refuses a batch of
/// another schema (names, types, nullability) with an error that names both.
///
/// ```
/// use wasm_flight_guest::{Emitter, OutputBatch, PrimitiveBuilder};
///
/// # fn main() -> wasm_flight_guest::Result<()> {
/// let mut out = Emitter::new();
/// for chunk in [[1i64, 2], [3, 4]] {
///     let n: PrimitiveBuilder<i64> = chunk.iter().map(|&v| Some(v)).collect();
///     out.emit(OutputBatch::new(2).with_column("n", false, n)?)?;
/// }
/// let other: PrimitiveBuilder<i32> = [Some(5)].into_iter().collect();
/// let err = out.emit(OutputBatch::new(1).with_column("n", false, other)?).unwrap_err();
/// assert_eq!(
///     err.message(),
///     "the emitted batch has the columns (n: int32 not null), \
///      but the output has (n: int64 not null), set by the first output batch"
/// );
/// assert_eq!(out.len(), 2);
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct Emitter {
    batches: Vec<OutputBatch>,
    schema: Option<Schema>,
}

/// The output schema of a session, and what set it (for error messages).
#[derive(Clone)]
pub(crate) struct Schema {
    fields: Vec<Field>,
    origin: &'static str,
}

const DECLARED: &str = "declared with `output [...]`";
const FIRST_BATCH: &str = "set by the first output batch";
const NO_COLUMNS: &str = "set by an earlier empty output of a function that declares no \
     `output [...]` (declare it, or emit a zero-row batch of the output's columns)";

impl Schema {
    /// `name: type` of each field.
    fn describe(fields: &[Field]) -> String {
        fields.iter().map(Field::to_string).collect::<Vec<_>>().join(", ")
    }

    fn matches(&self, batch: &OutputBatch) -> bool {
        batch.num_columns() == self.fields.len()
            && batch.fields().zip(&self.fields).all(|(a, b)| {
                a.name() == b.name()
                    && a.data_type() == b.data_type()
                    && a.is_nullable() == b.is_nullable()
            })
    }
}

impl Emitter {
    /// An emitter whose first batch sets the schema. (The SDK makes the emitters of exported
    /// functions itself, with the session's schema; this one is for native tests.)
    pub fn new() -> Emitter {
        Emitter::default()
    }

    /// Adds an output batch. Fails when its columns (names, types, nullability) are not the
    /// output schema. Batches of zero rows are allowed; the host does not forward them.
    pub fn emit(&mut self, batch: OutputBatch) -> Result<()> {
        match &self.schema {
            None => {
                let fields = batch.fields().cloned().collect();
                self.schema = Some(Schema { fields, origin: FIRST_BATCH });
            }
            Some(schema) if !schema.matches(&batch) => {
                let got: Vec<Field> = batch.fields().cloned().collect();
                return Err(Error::execution(format!(
                    "the emitted batch has the columns ({}), but the output has ({}), {}",
                    Schema::describe(&got),
                    Schema::describe(&schema.fields),
                    schema.origin
                )));
            }
            Some(_) => {}
        }
        self.batches.push(batch);
        Ok(())
    }

    /// Number of batches emitted.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// The output schema every batch must have, once known.
    pub fn schema(&self) -> Option<&[Field]> {
        self.schema.as_ref().map(|s| &s.fields[..])
    }

    /// The batches, in the order they were emitted.
    pub fn into_batches(self) -> Vec<OutputBatch> {
        self.batches
    }

    /// Checks the `row_index` column of every batch as the host does (ABI §4): an int32
    /// column, not nullable, whose values are in `[0, rows)` and never decrease.
    pub(crate) fn check_row_index(&self, column: &str, rows: usize) -> Result<()> {
        let fail =
            |what: String| Err(Error::execution(format!("row_index column '{column}' {what}")));
        let mut previous = 0i32;
        for batch in &self.batches {
            let array = match batch.columns.iter().find(|c| c.name() == column) {
                Some(array) => array,
                None => return fail("is not in the emitted batch".to_string()),
            };
            if *array.data_type() != DataType::Int32 || array.is_nullable() {
                return fail(format!("is {}, expected int32 not null", array.field()));
            }
            let values = crate::ffi::cast_slice::<i32>(array.data.fixed_values(4)).unwrap_or(&[]);
            for &row in values {
                if row < 0 || row as usize >= rows {
                    return fail(format!("has row {row} of a {rows}-row input batch"));
                }
                if row < previous {
                    return fail(format!(
                        "has row {row} after row {previous}: it must not decrease"
                    ));
                }
                previous = row;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Emitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emitter").field("batches", &self.batches).finish()
    }
}

/// The output schema of a session and the batches not yet handed to the host.
#[derive(Default)]
pub(crate) struct Outbox {
    schema: Option<Schema>,
    /// Next batch last.
    pending: Vec<OutputBatch>,
}

impl Outbox {
    pub(crate) const fn new() -> Outbox {
        Outbox { schema: None, pending: Vec::new() }
    }

    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// An emitter for the next run of the function, which knows the session's schema: the
    /// declared output or that of the first batch handed out.
    pub(crate) fn emitter(&mut self, declared: Option<&[OutputField]>) -> Emitter {
        if let (None, Some(declared)) = (&self.schema, declared) {
            let fields = declared.iter().map(|f| f.to_field()).collect();
            self.schema = Some(Schema { fields, origin: DECLARED });
        }
        Emitter { batches: Vec::new(), schema: self.schema.clone() }
    }

    /// Takes the batches of a run to hand out. Zero-row batches are dropped (the host skips
    /// them) unless nothing else is left; a run that emitted nothing gets one zero-row batch of
    /// the session's schema, or — when none is known yet — of no columns, which then becomes
    /// the session's schema.
    pub(crate) fn accept(&mut self, emitter: Emitter) -> Result<()> {
        let Emitter { batches, schema } = emitter;
        let mut empty = None;
        let mut pending: Vec<OutputBatch> = Vec::with_capacity(batches.len());
        for batch in batches {
            if batch.num_rows() == 0 {
                empty = Some(batch);
            } else {
                pending.push(batch);
            }
        }
        if pending.is_empty() {
            pending.push(match (empty, &schema) {
                (Some(batch), _) => batch,
                (None, Some(schema)) => OutputBatch::new_empty(&schema.fields)?,
                (None, None) => OutputBatch::new(0),
            });
        }
        self.schema = schema.or(Some(Schema { fields: Vec::new(), origin: NO_COLUMNS }));
        pending.reverse();
        self.pending = pending;
        Ok(())
    }

    /// The next batch to hand out, and whether more follow it.
    pub(crate) fn next(&mut self) -> Option<(OutputBatch, bool)> {
        let batch = self.pending.pop()?;
        Some((batch, !self.pending.is_empty()))
    }

    /// Drops the pending batches (after an error).
    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PrimitiveBuilder, Utf8Builder};

    fn ints(name: &str, values: &[i32]) -> OutputBatch {
        let column: PrimitiveBuilder<i32> = values.iter().map(|&v| Some(v)).collect();
        OutputBatch::new(values.len()).with_column(name, false, column).unwrap()
    }

    /// Hands out everything pending: (rows, more) per batch.
    fn drain(outbox: &mut Outbox) -> Vec<(usize, bool)> {
        std::iter::from_fn(|| outbox.next()).map(|(b, more)| (b.num_rows(), more)).collect()
    }

    #[test]
    fn hands_out_in_order_with_more_until_the_last() {
        let mut outbox = Outbox::default();
        let mut out = outbox.emitter(None);
        for n in [3, 0, 1, 2] {
            out.emit(ints("x", &vec![7; n])).unwrap();
        }
        outbox.accept(out).unwrap();
        assert!(outbox.has_pending());
        // The zero-row batch is dropped.
        assert_eq!(drain(&mut outbox), [(3, true), (1, true), (2, false)]);
        assert!(!outbox.has_pending());
    }

    #[test]
    fn nothing_emitted_gives_one_empty_batch_of_the_schema() {
        let declared = [Field::new("w", DataType::Utf8, true)];
        let mut outbox = Outbox::default();
        let out = outbox.emitter(Some(&[OutputField { name: "w", format: "u", nullable: true }]));
        outbox.accept(out).unwrap();
        let (batch, more) = outbox.next().unwrap();
        assert!(!more);
        assert_eq!(
            (batch.num_rows(), batch.fields().cloned().collect::<Vec<_>>()),
            (0, declared.to_vec())
        );

        // Without a declared output: the schema of the first batch handed out.
        let mut outbox = Outbox::default();
        let mut out = outbox.emitter(None);
        out.emit(ints("x", &[1])).unwrap();
        outbox.accept(out).unwrap();
        drain(&mut outbox);
        let out = outbox.emitter(None);
        outbox.accept(out).unwrap();
        let (batch, more) = outbox.next().unwrap();
        assert_eq!((batch.num_rows(), batch.num_columns(), more), (0, 1, false));
        assert_eq!(batch.fields().next().unwrap().to_string(), "x: int32 not null");

        // Only zero-row batches: the last one is handed out as it is.
        let mut out = outbox.emitter(None);
        out.emit(ints("x", &[])).unwrap();
        outbox.accept(out).unwrap();
        assert_eq!(drain(&mut outbox), [(0, false)]);
    }

    #[test]
    fn an_empty_first_output_without_schema_fixes_no_columns() {
        let mut outbox = Outbox::default();
        let out = outbox.emitter(None);
        outbox.accept(out).unwrap();
        let (batch, _) = outbox.next().unwrap();
        assert_eq!((batch.num_rows(), batch.num_columns()), (0, 0));
        let err = outbox.emitter(None).emit(ints("x", &[1])).unwrap_err();
        assert!(
            err.message().starts_with(
                "the emitted batch has the columns (x: int32 not null), but the output has (), \
                 set by an earlier empty output"
            ),
            "{}",
            err.message()
        );
    }

    #[test]
    fn batches_must_have_the_declared_schema() {
        let declared = [Field::new("x", DataType::Int32, false)];
        let mut outbox = Outbox::default();
        let mut out =
            outbox.emitter(Some(&[OutputField { name: "x", format: "i", nullable: false }]));
        assert_eq!(out.schema(), Some(&declared[..]));
        out.emit(ints("x", &[1])).unwrap();
        let s: Utf8Builder = [Some("a")].into_iter().collect();
        let err = out.emit(OutputBatch::new(1).with_column("x", false, s).unwrap()).unwrap_err();
        assert_eq!(
            err.message(),
            "the emitted batch has the columns (x: utf8 not null), but the output has \
             (x: int32 not null), declared with `output [...]`"
        );
        let nullable: PrimitiveBuilder<i32> = [Some(1)].into_iter().collect();
        let batch = OutputBatch::new(1).with_column("x", true, nullable).unwrap();
        assert!(out.emit(batch).is_err());
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn row_index_is_checked_as_the_host_does() {
        let check = |batches: &[&[i32]], rows| {
            let mut out = Emitter::new();
            batches.iter().for_each(|b| out.emit(ints("row", b)).unwrap());
            out.check_row_index("row", rows).map_err(|e| e.message().to_string())
        };
        assert_eq!(check(&[&[0, 0, 2], &[2, 3]], 4), Ok(()));
        assert_eq!(
            check(&[&[0, 2], &[1]], 4),
            Err("row_index column 'row' has row 1 after row 2: it must not decrease".into())
        );
        assert_eq!(
            check(&[&[4]], 4),
            Err("row_index column 'row' has row 4 of a 4-row input batch".into())
        );
        assert_eq!(
            check(&[&[-1]], 4),
            Err("row_index column 'row' has row -1 of a 4-row input batch".into())
        );
        let mut out = Emitter::new();
        out.emit(ints("other", &[0])).unwrap();
        assert_eq!(
            out.check_row_index("row", 1).unwrap_err().message(),
            "row_index column 'row' is not in the emitted batch"
        );
    }
}
