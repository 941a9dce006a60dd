//! Zero-copy, read-only views over an input batch.

use std::fmt;

use crate::ffi;
use crate::types::{DataType, Primitive};
use crate::{Error, Result};

/// The input record batch of one call. It borrows host memory and lives only during the call.
pub struct Batch<'a> {
    pub(crate) num_rows: usize,
    pub(crate) columns: Vec<Column<'a>>,
}

impl<'a> Batch<'a> {
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    pub fn columns(&self) -> &[Column<'a>] {
        &self.columns
    }

    /// The column at `index`, or an invalid-input error naming the missing position.
    pub fn column(&self, index: usize) -> Result<&Column<'a>> {
        self.columns.get(index).ok_or_else(|| {
            Error::invalid_input(format!(
                "the input has {} column(s), column {index} is required",
                self.columns.len()
            ))
        })
    }

    /// The first column named `name`, or an invalid-input error.
    pub fn column_by_name(&self, name: &str) -> Result<&Column<'a>> {
        self.find_column(name)
            .ok_or_else(|| Error::invalid_input(format!("the input has no column named '{name}'")))
    }

    /// The first column named `name`, if any (for optional columns).
    pub fn find_column(&self, name: &str) -> Option<&Column<'a>> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// One input column: its field and its data, viewed through a typed accessor.
pub struct Column<'a> {
    pub(crate) index: usize,
    pub(crate) name: &'a str,
    pub(crate) data_type: DataType,
    pub(crate) nullable: bool,
    pub(crate) null_count: usize,
    pub(crate) data: RawArray<'a>,
}

/// The slots of one column: slot `i` is `offset + i` in every buffer. Each buffer covers at least
/// `offset + len` slots (checked when the batch is read).
#[derive(Clone, Copy)]
pub(crate) struct RawArray<'a> {
    pub(crate) len: usize,
    pub(crate) offset: usize,
    pub(crate) validity: Option<&'a [u8]>,
    /// The buffers after validity: `[values, unused]` or `[offsets, data]`.
    pub(crate) buffers: [&'a [u8]; 2],
}

impl<'a> RawArray<'a> {
    fn validity(&self) -> Option<Bitmap<'a>> {
        self.validity.map(|bytes| Bitmap { bytes, offset: self.offset })
    }
}

impl<'a> Column<'a> {
    /// Position of the column in the batch.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn name(&self) -> &'a str {
        self.name
    }

    pub fn data_type(&self) -> DataType {
        self.data_type
    }

    pub fn is_nullable(&self) -> bool {
        self.nullable
    }

    /// Number of values (the batch's row count).
    pub fn len(&self) -> usize {
        self.data.len
    }

    pub fn is_empty(&self) -> bool {
        self.data.len == 0
    }

    pub fn null_count(&self) -> usize {
        self.null_count
    }

    /// Views a numeric column whose type is `T` (e.g. `primitive::<i64>()` for int64).
    pub fn primitive<T: Primitive>(&self) -> Result<PrimitiveView<'a, T>> {
        self.expect(T::DATA_TYPE)?;
        let RawArray { offset, len, .. } = self.data;
        let values = self.cast::<T>(self.data.buffers[0])?;
        Ok(PrimitiveView { values: &values[offset..offset + len], validity: self.data.validity() })
    }

    /// Views a bool column.
    pub fn boolean(&self) -> Result<BoolView<'a>> {
        self.expect(DataType::Bool)?;
        let values = Bitmap { bytes: self.data.buffers[0], offset: self.data.offset };
        Ok(BoolView { len: self.data.len, values, validity: self.data.validity() })
    }

    /// Views a utf8 column; fails if its values are not valid UTF-8.
    pub fn utf8(&self) -> Result<Utf8View<'a>> {
        self.expect(DataType::Utf8)?;
        let (offsets, data) = self.var_parts()?;
        let data = std::str::from_utf8(data)
            .map_err(|e| self.error(format!("holds invalid UTF-8: {e}")))?;
        let base = offsets[0];
        if let Some(o) = offsets.iter().find(|&&o| !data.is_char_boundary((o - base) as usize)) {
            return Err(self.error(format!("has an offset ({o}) inside a UTF-8 character")));
        }
        Ok(Utf8View { offsets, data, validity: self.data.validity() })
    }

    /// Views a binary column.
    pub fn binary(&self) -> Result<BinaryView<'a>> {
        self.expect(DataType::Binary)?;
        let (offsets, data) = self.var_parts()?;
        Ok(BinaryView { offsets, data, validity: self.data.validity() })
    }

    fn expect(&self, expected: DataType) -> Result<()> {
        if self.data_type == expected {
            Ok(())
        } else {
            Err(self.error(format!("is {}, expected {expected}", self.data_type)))
        }
    }

    fn error(&self, what: String) -> Error {
        Error::invalid_input(format!("column {} ('{}') {what}", self.index, self.name))
    }

    fn cast<T: Primitive>(&self, bytes: &'a [u8]) -> Result<&'a [T]> {
        ffi::cast_slice(bytes).ok_or_else(|| self.error("has a misaligned buffer".to_string()))
    }

    /// The column's `len + 1` offsets (checked non-negative and non-decreasing) and the data
    /// bytes from the first offset on.
    fn var_parts(&self) -> Result<(&'a [i32], &'a [u8])> {
        let RawArray { offset, len, buffers, .. } = self.data;
        let offsets = &self.cast::<i32>(buffers[0])?[offset..=offset + len];
        if offsets[0] < 0 || offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err(self.error("has negative or decreasing offsets".to_string()));
        }
        // The last offset of the full buffer bounds `buffers[1]` (see `ffi::read_batch`).
        let data = &buffers[1][offsets[0] as usize..offsets[len] as usize];
        Ok((offsets, data))
    }
}

/// An LSB-first bitmap addressed from bit `offset`.
#[derive(Clone, Copy)]
pub(crate) struct Bitmap<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) offset: usize,
}

impl Bitmap<'_> {
    pub(crate) fn get(&self, i: usize) -> bool {
        let bit = self.offset + i;
        self.bytes[bit / 8] & (1 << (bit % 8)) != 0
    }
}

fn is_valid(validity: &Option<Bitmap<'_>>, i: usize) -> bool {
    validity.map_or(true, |v| v.get(i))
}

/// Typed view of a numeric column. Accessors panic if `i >= len()`, like slice indexing.
#[derive(Clone, Copy)]
pub struct PrimitiveView<'a, T> {
    values: &'a [T],
    validity: Option<Bitmap<'a>>,
}

impl<'a, T: Primitive> PrimitiveView<'a, T> {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn is_valid(&self, i: usize) -> bool {
        assert!(i < self.len(), "index {i} out of range for {} values", self.len());
        is_valid(&self.validity, i)
    }

    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    /// The value at `i`, or `None` when it is null.
    pub fn get(&self, i: usize) -> Option<T> {
        if self.is_valid(i) {
            Some(self.values[i])
        } else {
            None
        }
    }

    /// All value slots, including the (unspecified) values behind nulls.
    pub fn values(&self) -> &'a [T] {
        self.values
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<T>> + 'a {
        let view = *self;
        (0..view.len()).map(move |i| view.get(i))
    }
}

/// View of a bool column. Accessors panic if `i >= len()`.
#[derive(Clone, Copy)]
pub struct BoolView<'a> {
    len: usize,
    values: Bitmap<'a>,
    validity: Option<Bitmap<'a>>,
}

impl<'a> BoolView<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_valid(&self, i: usize) -> bool {
        assert!(i < self.len, "index {i} out of range for {} values", self.len);
        is_valid(&self.validity, i)
    }

    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    pub fn get(&self, i: usize) -> Option<bool> {
        if self.is_valid(i) {
            Some(self.values.get(i))
        } else {
            None
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<bool>> + 'a {
        let view = *self;
        (0..view.len).map(move |i| view.get(i))
    }
}

/// View of a utf8 column (values checked as UTF-8 once, when the view is made). Accessors panic
/// if `i >= len()`.
#[derive(Clone, Copy)]
pub struct Utf8View<'a> {
    offsets: &'a [i32],
    data: &'a str,
    validity: Option<Bitmap<'a>>,
}

impl<'a> Utf8View<'a> {
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_valid(&self, i: usize) -> bool {
        assert!(i < self.len(), "index {i} out of range for {} values", self.len());
        is_valid(&self.validity, i)
    }

    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    pub fn get(&self, i: usize) -> Option<&'a str> {
        if self.is_valid(i) {
            Some(&self.data[value_range(self.offsets, i)])
        } else {
            None
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&'a str>> + 'a {
        let view = *self;
        (0..view.len()).map(move |i| view.get(i))
    }
}

/// View of a binary column. Accessors panic if `i >= len()`.
#[derive(Clone, Copy)]
pub struct BinaryView<'a> {
    offsets: &'a [i32],
    data: &'a [u8],
    validity: Option<Bitmap<'a>>,
}

impl<'a> BinaryView<'a> {
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_valid(&self, i: usize) -> bool {
        assert!(i < self.len(), "index {i} out of range for {} values", self.len());
        is_valid(&self.validity, i)
    }

    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        if self.is_valid(i) {
            Some(&self.data[value_range(self.offsets, i)])
        } else {
            None
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&'a [u8]>> + 'a {
        let view = *self;
        (0..view.len()).map(move |i| view.get(i))
    }
}

/// Byte range of value `i` in data that starts at `offsets[0]`.
fn value_range(offsets: &[i32], i: usize) -> std::ops::Range<usize> {
    (offsets[i] - offsets[0]) as usize..(offsets[i + 1] - offsets[0]) as usize
}

macro_rules! debug_as_list {
    ($([$($generics:tt)*] $view:ty),*) => {$(
        impl<$($generics)*> fmt::Debug for $view {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.iter()).finish()
            }
        }
    )*};
}

debug_as_list!(
    [T: Primitive] PrimitiveView<'_, T>,
    [] BoolView<'_>,
    [] Utf8View<'_>,
    [] BinaryView<'_>
);

impl fmt::Debug for Column<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Column")
            .field("name", &self.name)
            .field("data_type", &self.data_type)
            .field("nullable", &self.nullable)
            .field("len", &self.data.len)
            .field("null_count", &self.null_count)
            .finish()
    }
}

impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("num_rows", &self.num_rows)
            .field("columns", &self.columns)
            .finish()
    }
}
