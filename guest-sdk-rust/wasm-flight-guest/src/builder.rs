//! Builders for the output batch. The SDK owns what they produce until the host releases it.

use std::ffi::CString;

use crate::ffi::Buffer;
use crate::types::{DataType, Primitive};
use crate::{Batch, Error, Result};

/// An LSB-first bitmap being built.
#[derive(Default)]
struct BitmapBuilder {
    bytes: Vec<u8>,
    len: usize,
}

impl BitmapBuilder {
    /// `len` set bits.
    fn ones(len: usize) -> Self {
        let mut bytes = vec![0xFF; len / 8];
        if len % 8 != 0 {
            bytes.push((1u8 << (len % 8)) - 1);
        }
        BitmapBuilder { bytes, len }
    }

    fn push(&mut self, bit: bool) {
        if self.len % 8 == 0 {
            self.bytes.push(0);
        }
        if bit {
            self.bytes[self.len / 8] |= 1 << (self.len % 8);
        }
        self.len += 1;
    }
}

/// Validity of a column being built; the bitmap is only made once the first null arrives.
#[derive(Default)]
struct ValidityBuilder {
    bitmap: Option<BitmapBuilder>,
    len: usize,
    null_count: usize,
}

impl ValidityBuilder {
    fn push(&mut self, valid: bool) {
        if !valid {
            self.null_count += 1;
        }
        match &mut self.bitmap {
            Some(bitmap) => bitmap.push(valid),
            None if !valid => {
                let mut bitmap = BitmapBuilder::ones(self.len);
                bitmap.push(false);
                self.bitmap = Some(bitmap);
            }
            None => {}
        }
        self.len += 1;
    }

    /// The array with this validity and the given buffers.
    fn finish(self, data_type: DataType, buffers: Vec<Buffer>) -> OutputArray {
        let validity = self.bitmap.map(|b| Buffer::new(b.bytes));
        let mut all = vec![validity];
        all.extend(buffers.into_iter().map(Some));
        OutputArray { data_type, len: self.len, null_count: self.null_count, buffers: all }
    }
}

/// A finished output column: its type and the buffers it owns, in C Data order.
pub struct OutputArray {
    pub(crate) data_type: DataType,
    pub(crate) len: usize,
    pub(crate) null_count: usize,
    pub(crate) buffers: Vec<Option<Buffer>>,
}

/// Builds a numeric column.
pub struct PrimitiveBuilder<T> {
    values: Vec<T>,
    validity: ValidityBuilder,
}

impl<T: Primitive> PrimitiveBuilder<T> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        PrimitiveBuilder { values: Vec::with_capacity(capacity), validity: Default::default() }
    }

    pub fn push(&mut self, value: Option<T>) {
        self.validity.push(value.is_some());
        self.values.push(value.unwrap_or_default());
    }

    pub fn append_value(&mut self, value: T) {
        self.push(Some(value));
    }

    pub fn append_null(&mut self) {
        self.push(None);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<T: Primitive> Default for PrimitiveBuilder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Primitive> Extend<Option<T>> for PrimitiveBuilder<T> {
    fn extend<I: IntoIterator<Item = Option<T>>>(&mut self, iter: I) {
        iter.into_iter().for_each(|v| self.push(v));
    }
}

impl<T: Primitive> FromIterator<Option<T>> for PrimitiveBuilder<T> {
    fn from_iter<I: IntoIterator<Item = Option<T>>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut builder = Self::with_capacity(iter.size_hint().0);
        builder.extend(iter);
        builder
    }
}

impl<T: Primitive> From<PrimitiveBuilder<T>> for OutputArray {
    fn from(b: PrimitiveBuilder<T>) -> Self {
        b.validity.finish(T::DATA_TYPE, vec![Buffer::new(b.values)])
    }
}

/// Builds a bool column.
#[derive(Default)]
pub struct BoolBuilder {
    values: BitmapBuilder,
    validity: ValidityBuilder,
}

impl BoolBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        let values = BitmapBuilder { bytes: Vec::with_capacity((capacity + 7) / 8), len: 0 };
        BoolBuilder { values, validity: Default::default() }
    }

    pub fn push(&mut self, value: Option<bool>) {
        self.validity.push(value.is_some());
        self.values.push(value.unwrap_or(false));
    }

    pub fn append_value(&mut self, value: bool) {
        self.push(Some(value));
    }

    pub fn append_null(&mut self) {
        self.push(None);
    }

    pub fn len(&self) -> usize {
        self.values.len
    }

    pub fn is_empty(&self) -> bool {
        self.values.len == 0
    }
}

impl Extend<Option<bool>> for BoolBuilder {
    fn extend<I: IntoIterator<Item = Option<bool>>>(&mut self, iter: I) {
        iter.into_iter().for_each(|v| self.push(v));
    }
}

impl FromIterator<Option<bool>> for BoolBuilder {
    fn from_iter<I: IntoIterator<Item = Option<bool>>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut builder = Self::with_capacity(iter.size_hint().0);
        builder.extend(iter);
        builder
    }
}

impl From<BoolBuilder> for OutputArray {
    fn from(b: BoolBuilder) -> Self {
        b.validity.finish(DataType::Bool, vec![Buffer::new(b.values.bytes)])
    }
}

/// Offsets, data and validity shared by the utf8 and binary builders.
struct VarBuilder {
    offsets: Vec<i32>,
    data: Vec<u8>,
    validity: ValidityBuilder,
}

impl VarBuilder {
    fn with_capacity(capacity: usize, data_capacity: usize) -> Self {
        let mut offsets = Vec::with_capacity(capacity + 1);
        offsets.push(0);
        VarBuilder {
            offsets,
            data: Vec::with_capacity(data_capacity),
            validity: Default::default(),
        }
    }

    /// Panics when the data passes 2 GiB, the most `i32` offsets can address.
    fn push(&mut self, value: Option<&[u8]>) {
        self.validity.push(value.is_some());
        self.data.extend_from_slice(value.unwrap_or_default());
        let end = i32::try_from(self.data.len()).expect("column data exceeds 2 GiB");
        self.offsets.push(end);
    }

    fn finish(self, data_type: DataType) -> OutputArray {
        let buffers = vec![Buffer::new(self.offsets), Buffer::new(self.data)];
        self.validity.finish(data_type, buffers)
    }
}

macro_rules! var_builder {
    ($(#[$doc:meta])* $name:ident, $item:ty, $to_bytes:expr, $data_type:ident) => {
        $(#[$doc])*
        pub struct $name(VarBuilder);

        impl $name {
            pub fn new() -> Self {
                Self::with_capacity(0, 0)
            }

            /// Room for `capacity` values of `data_capacity` bytes in total.
            pub fn with_capacity(capacity: usize, data_capacity: usize) -> Self {
                $name(VarBuilder::with_capacity(capacity, data_capacity))
            }

            /// Appends a value or a null. Panics when the column data passes 2 GiB.
            pub fn push(&mut self, value: Option<&$item>) {
                self.0.push(value.map($to_bytes));
            }

            pub fn append_value(&mut self, value: &$item) {
                self.push(Some(value));
            }

            pub fn append_null(&mut self) {
                self.push(None);
            }

            pub fn len(&self) -> usize {
                self.0.offsets.len() - 1
            }

            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<S: AsRef<$item>> Extend<Option<S>> for $name {
            fn extend<I: IntoIterator<Item = Option<S>>>(&mut self, iter: I) {
                iter.into_iter().for_each(|v| self.push(v.as_ref().map(AsRef::as_ref)));
            }
        }

        impl<S: AsRef<$item>> FromIterator<Option<S>> for $name {
            fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Self {
                let iter = iter.into_iter();
                let mut builder = Self::with_capacity(iter.size_hint().0, 0);
                builder.extend(iter);
                builder
            }
        }

        impl From<$name> for OutputArray {
            fn from(b: $name) -> Self {
                b.0.finish(DataType::$data_type)
            }
        }
    };
}

var_builder!(
    /// Builds a utf8 column.
    Utf8Builder, str, str::as_bytes, Utf8
);
var_builder!(
    /// Builds a binary column.
    BinaryBuilder, [u8], std::convert::identity, Binary
);

/// One named output column.
pub(crate) struct OutputColumn {
    pub(crate) name: CString,
    pub(crate) nullable: bool,
    pub(crate) array: OutputArray,
}

/// The output record batch of a call: named columns of equal length.
pub struct OutputBatch {
    pub(crate) num_rows: usize,
    pub(crate) columns: Vec<OutputColumn>,
}

impl OutputBatch {
    /// An empty batch of `num_rows` rows (a `map` function returns as many rows as it got).
    pub fn new(num_rows: usize) -> Self {
        OutputBatch { num_rows, columns: Vec::new() }
    }

    /// Adds a column built by one of the builders. Fails when its length is not the batch's row
    /// count, when it has nulls but is not `nullable`, or when `name` contains a NUL byte.
    pub fn with_column(
        mut self,
        name: &str,
        nullable: bool,
        array: impl Into<OutputArray>,
    ) -> Result<Self> {
        let array = array.into();
        let fail = |what: String| Err(Error::execution(format!("output column '{name}' {what}")));
        if array.len != self.num_rows {
            return fail(format!("has {} rows, the batch has {}", array.len, self.num_rows));
        }
        if !nullable && array.null_count > 0 {
            return fail(format!("is not nullable but has {} null(s)", array.null_count));
        }
        let name = match CString::new(name) {
            Ok(name) => name,
            Err(_) => return fail("has a NUL byte in its name".to_string()),
        };
        self.columns.push(OutputColumn { name, nullable, array });
        Ok(self)
    }

    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    /// Runs `f` on this batch read back through the input API, exactly as the host would see it
    /// after a round trip through the C Data structs. Handy for native tests of a function.
    pub fn as_input<R>(self, f: impl FnOnce(&Batch<'_>) -> R) -> Result<R> {
        crate::ffi::round_trip(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(columns: Vec<(&str, bool, OutputArray)>, rows: usize) -> OutputBatch {
        columns.into_iter().fold(OutputBatch::new(rows), |b, (name, nullable, array)| {
            b.with_column(name, nullable, array).unwrap()
        })
    }

    #[test]
    fn round_trip_every_builder() {
        // 11 rows: the first null comes after a full byte of valid values.
        let ints: Vec<Option<u16>> = (0..11).map(|i| if i == 9 { None } else { Some(i) }).collect();
        let bools: Vec<Option<bool>> =
            (0..11).map(|i| [Some(true), Some(false), None][i % 3]).collect();
        let strs: Vec<Option<String>> =
            (0..11).map(|i| Some("é".repeat(i)).filter(|_| i != 4)).collect();
        let bins: Vec<Option<Vec<u8>>> = (0..11).map(|i| Some(vec![i as u8; i])).collect();
        let mut floats = PrimitiveBuilder::<f32>::with_capacity(11);
        (0..11).for_each(
            |i| if i == 0 { floats.append_null() } else { floats.append_value(i as f32) },
        );
        let out = batch(
            vec![
                ("u16", true, ints.iter().copied().collect::<PrimitiveBuilder<u16>>().into()),
                ("bool", true, bools.iter().copied().collect::<BoolBuilder>().into()),
                ("utf8", true, strs.iter().cloned().collect::<Utf8Builder>().into()),
                ("bin", false, bins.iter().cloned().collect::<BinaryBuilder>().into()),
                ("f32", true, floats.into()),
            ],
            11,
        );
        out.as_input(|b| {
            assert_eq!((b.num_rows(), b.num_columns()), (11, 5));
            let c = |name| b.column_by_name(name).unwrap();
            assert_eq!(c("u16").null_count(), 1);
            assert_eq!(c("u16").primitive::<u16>().unwrap().iter().collect::<Vec<_>>(), ints);
            assert_eq!(c("bool").boolean().unwrap().iter().collect::<Vec<_>>(), bools);
            let got: Vec<_> =
                c("utf8").utf8().unwrap().iter().map(|v| v.map(String::from)).collect();
            assert_eq!(got, strs);
            let got: Vec<_> =
                c("bin").binary().unwrap().iter().map(|v| v.map(<[u8]>::to_vec)).collect();
            assert_eq!((got, c("bin").null_count(), c("bin").is_nullable()), (bins, 0, false));
            let floats = c("f32").primitive::<f32>().unwrap();
            assert_eq!(
                (floats.get(0), floats.get(10), floats.values()[3]),
                (None, Some(10.0), 3.0)
            );
        })
        .unwrap();
    }

    #[test]
    fn no_nulls_means_no_validity_bitmap() {
        let ints: PrimitiveBuilder<i8> = [Some(1), Some(2)].into_iter().collect();
        assert!(OutputArray::from(ints).buffers[0].is_none());
        let mut b = BoolBuilder::new();
        b.append_value(true);
        b.append_null();
        assert_eq!((b.len(), OutputArray::from(b).null_count), (2, 1));
    }

    #[test]
    fn column_errors() {
        let ints = || [Some(1i64), None].into_iter().collect::<PrimitiveBuilder<i64>>();
        let err = |r: Result<OutputBatch>| r.err().unwrap().to_string();
        assert_eq!(
            err(OutputBatch::new(3).with_column("a", true, ints())),
            "output column 'a' has 2 rows, the batch has 3"
        );
        assert_eq!(
            err(OutputBatch::new(2).with_column("a", false, ints())),
            "output column 'a' is not nullable but has 1 null(s)"
        );
        assert_eq!(
            err(OutputBatch::new(2).with_column("a\0", true, ints())),
            "output column 'a\0' has a NUL byte in its name"
        );
        assert_eq!(OutputBatch::new(0).as_input(|b| b.num_rows()).unwrap(), 0);
    }
}
