//! [`Selection`]: the rows of an input batch that a `filter` function keeps (ABI §6.3).

use std::fmt;

use crate::builder::{BitmapBuilder, ValidityBuilder};
use crate::{BoolBuilder, Error, OutputBatch, PrimitiveBuilder, Result};

/// The rows of its input batch that a `filter` function keeps: a mask (one `bool` per input
/// row) or the kept row indices. The host emits the kept rows, every column, unchanged.
///
/// ```
/// use wasm_flight_guest::Selection;
///
/// # fn main() -> wasm_flight_guest::Result<()> {
/// let mask = Selection::from_mask([true, false, true]);
/// let indices = Selection::from_indices([0, 2])?;
/// assert_eq!(mask.kept_rows(), indices.kept_rows());
/// assert_eq!((Selection::all(2).count(), Selection::none(2).count()), (2, 0));
/// assert!(Selection::from_indices([2, 1]).is_err()); // not strictly increasing
/// # Ok(())
/// # }
/// ```
///
/// The SDK checks a selection against the input before the host sees it: a mask must have one
/// value per input row, indices must be below the row count (an `Err` otherwise).
#[derive(Clone)]
pub struct Selection {
    kept: Kept,
    /// The input row count the selection was made for, when it says.
    rows: Option<usize>,
}

#[derive(Clone)]
enum Kept {
    Mask(BitmapBuilder),
    /// Strictly increasing, each at most `i32::MAX`.
    Indices(Vec<i32>),
}

impl Selection {
    /// Keeps row `i` when value `i` is `true`; one value per input row. (For a nullable
    /// predicate, map a null to `false`: `view.iter().map(|v| v == Some(true))`.)
    pub fn from_mask(mask: impl IntoIterator<Item = bool>) -> Selection {
        let mask = mask.into_iter();
        let mut bits = BitmapBuilder::with_capacity(mask.size_hint().0);
        mask.for_each(|keep| bits.push(keep));
        let rows = bits.len();
        Selection { kept: Kept::Mask(bits), rows: Some(rows) }
    }

    /// Keeps these rows. Fails unless the indices are strictly increasing (and each fits the
    /// ABI's int32); that they are below the input's row count is checked when the function
    /// returns.
    pub fn from_indices(indices: impl IntoIterator<Item = usize>) -> Result<Selection> {
        let indices = indices.into_iter();
        let mut kept: Vec<i32> = Vec::with_capacity(indices.size_hint().0);
        for index in indices {
            let value = i32::try_from(index).map_err(|_| {
                Error::execution(format!("selected row {index} is beyond the largest batch"))
            })?;
            if let Some(&last) = kept.last() {
                if value <= last {
                    return Err(Error::execution(format!(
                        "selected row {index} follows row {last}: \
                         selected rows must be strictly increasing"
                    )));
                }
            }
            kept.push(value);
        }
        Ok(Selection { kept: Kept::Indices(kept), rows: None })
    }

    /// Keeps all `rows` rows.
    pub fn all(rows: usize) -> Selection {
        Selection { kept: Kept::Mask(BitmapBuilder::ones(rows)), rows: Some(rows) }
    }

    /// Keeps none of `rows` rows.
    pub fn none(rows: usize) -> Selection {
        Selection { kept: Kept::Indices(Vec::new()), rows: Some(rows) }
    }

    /// Number of kept rows.
    pub fn count(&self) -> usize {
        match &self.kept {
            Kept::Mask(bits) => bits.as_bitmap().count_ones(),
            Kept::Indices(indices) => indices.len(),
        }
    }

    /// The input row count this selection is for: the length of a mask, the argument of
    /// [`Selection::all`] and [`Selection::none`], `None` for indices.
    pub fn rows(&self) -> Option<usize> {
        self.rows
    }

    /// The kept row indices, increasing.
    pub fn kept_rows(&self) -> Vec<usize> {
        match &self.kept {
            Kept::Mask(bits) => {
                let bits = bits.as_bitmap();
                (0..bits.len()).filter(|&i| bits.get(i)).collect()
            }
            Kept::Indices(indices) => indices.iter().map(|&i| i as usize).collect(),
        }
    }

    /// The selection as the ABI writes it for an input of `rows` rows: a batch of one column,
    /// `keep` (bool, not nullable, `rows` values) for a mask or `index` (int32, not nullable,
    /// the kept rows) for indices. Fails when the selection does not fit the input.
    pub fn into_output(self, rows: usize) -> Result<OutputBatch> {
        if let Some(made_for) = self.rows.filter(|&r| r != rows) {
            return Err(Error::execution(format!(
                "the selection is for {made_for} rows, the input batch has {rows}"
            )));
        }
        match self.kept {
            Kept::Mask(bits) => {
                OutputBatch::new(rows).with_column("keep", false, BoolBuilder::from_values(bits))
            }
            Kept::Indices(indices) => {
                if let Some(&last) = indices.last().filter(|&&last| last as usize >= rows) {
                    return Err(Error::execution(format!(
                        "the selection keeps row {last} of a {rows}-row batch"
                    )));
                }
                let n = indices.len();
                let index = PrimitiveBuilder::from_parts(indices, ValidityBuilder::all_valid(n));
                OutputBatch::new(n).with_column("index", false, index)
            }
        }
    }
}

impl fmt::Debug for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kept {
            Kept::Mask(_) => "mask",
            Kept::Indices(_) => "indices",
        };
        f.debug_struct("Selection")
            .field("kind", &kind)
            .field("rows", &self.rows)
            .field("kept", &self.kept_rows())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// The selection batch read back: the column's name, format and values.
    fn written(selection: &Selection, rows: usize) -> Result<(String, String, Vec<i64>)> {
        selection.clone().into_output(rows)?.as_input(|b| {
            assert_eq!(b.num_columns(), 1);
            let c = b.column(0).unwrap();
            assert!(!c.is_nullable() && c.null_count() == 0);
            let values: Vec<i64> = match c.data_type().format().as_str() {
                "b" => c.boolean().unwrap().iter().map(|v| i64::from(v.unwrap())).collect(),
                _ => c.primitive::<i32>().unwrap().iter().map(|v| i64::from(v.unwrap())).collect(),
            };
            (c.name().to_string(), c.data_type().format(), values)
        })
    }

    #[test]
    fn masks_are_bool_columns_of_one_value_per_row() {
        let mask = Selection::from_mask((0..10).map(|i| i % 3 == 0));
        assert_eq!((mask.count(), mask.rows(), mask.kept_rows()), (4, Some(10), vec![0, 3, 6, 9]));
        let (name, format, values) = written(&mask, 10).unwrap();
        assert_eq!((name.as_str(), format.as_str()), ("keep", "b"));
        assert_eq!(values, [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
        let err = mask.into_output(11).unwrap_err();
        assert_eq!(err.message(), "the selection is for 10 rows, the input batch has 11");
        assert_eq!(written(&Selection::all(9), 9).unwrap().2, vec![1; 9]);
        assert_eq!(Selection::all(9).kept_rows(), (0..9).collect::<Vec<_>>());
    }

    #[test]
    fn indices_are_int32_columns_checked_against_the_input() {
        let indices = Selection::from_indices([1, 4, 5]).unwrap();
        assert_eq!((indices.count(), indices.rows()), (3, None));
        let (name, format, values) = written(&indices, 6).unwrap();
        assert_eq!((name.as_str(), format.as_str(), values), ("index", "i", vec![1, 4, 5]));
        let err = indices.into_output(5).unwrap_err();
        assert_eq!(
            (err.kind(), err.message()),
            (ErrorKind::Execution, "the selection keeps row 5 of a 5-row batch")
        );
    }

    #[test]
    fn indices_must_increase() {
        let err = Selection::from_indices([3, 3]).unwrap_err();
        assert_eq!(
            err.message(),
            "selected row 3 follows row 3: selected rows must be strictly increasing"
        );
        assert!(Selection::from_indices([5, 2]).is_err());
        assert!(Selection::from_indices([1usize << 31]).is_err());
        assert_eq!(Selection::from_indices([]).unwrap().count(), 0);
    }

    #[test]
    fn none_keeps_nothing_of_its_rows() {
        let none = Selection::none(4);
        assert_eq!((none.count(), none.rows(), none.kept_rows()), (0, Some(4), vec![]));
        assert_eq!(written(&none, 4).unwrap().2, Vec::<i64>::new());
        assert!(none.into_output(3).is_err());
        assert_eq!(written(&Selection::all(0), 0).unwrap().2, Vec::<i64>::new());
    }
}
