use wasm_flight_guest::{Batch, OutputBatch, Result};

/// Doubles the int64 column 0, keeping its name and nulls.
pub fn double(input: &Batch) -> Result<OutputBatch> {
    let column = input.column(0)?;
    let out = column.primitive::<i64>()?.map(|x| x.wrapping_mul(2));
    OutputBatch::new(input.num_rows()).with_column(column.name(), column.is_nullable(), out)
}

wasm_flight_guest::export_functions! { map double => double; }

#[cfg(test)]
mod tests {
    use wasm_flight_guest::{OutputBatch, PrimitiveBuilder, Result, Session};

    #[test]
    fn doubles_and_keeps_nulls() -> Result<()> {
        let x: PrimitiveBuilder<i64> = [Some(1), None, Some(-4)].into_iter().collect();
        let mut session = Session::new(crate::WF_FUNCTIONS, "double")?;
        let out = session.call(OutputBatch::new(3).with_column("x", true, x)?)?.remove(0);
        let got = out.as_input(|b| -> Result<Vec<Option<i64>>> {
            Ok(b.column(0)?.primitive::<i64>()?.iter().collect())
        })??;
        assert_eq!(got, [Some(2), None, Some(-8)]);
        Ok(())
    }
}
