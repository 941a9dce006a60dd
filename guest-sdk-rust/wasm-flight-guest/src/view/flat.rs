//! Typed views of the types without children: null, bool, numbers, fixed-width bytes, strings
//! and binaries (offsets, large offsets, views).

use std::fmt;

use super::{Bitmap, Slots};
use crate::ffi;
use crate::layout::{read_offset, Layout, VIEW_INLINE, VIEW_SIZE};
use crate::{DataType, Offset, Primitive, Result};

/// The accessors every typed view with a validity bitmap shares. Accessors panic if
/// `i >= len()`, like slice indexing.
macro_rules! common_accessors {
    ($item:ty) => {
        pub fn len(&self) -> usize {
            self.len
        }

        pub fn is_empty(&self) -> bool {
            self.len == 0
        }

        /// `false` when slot `i` is null.
        pub fn is_valid(&self, i: usize) -> bool {
            assert!(i < self.len, "index {i} out of range for {} values", self.len);
            self.validity.map_or(true, |v| v.get(i))
        }

        pub fn is_null(&self, i: usize) -> bool {
            !self.is_valid(i)
        }

        /// The validity bitmap of the view's slots (`None`: no nulls).
        pub fn validity(&self) -> Option<Bitmap<'a>> {
            self.validity
        }

        /// The value at `i`, or `None` when it is null.
        pub fn get(&self, i: usize) -> Option<$item> {
            if self.is_valid(i) {
                Some(self.value(i))
            } else {
                None
            }
        }

        /// The values, `None` for nulls.
        pub fn iter(&self) -> impl Iterator<Item = Option<$item>> + 'a {
            let view = *self;
            // `i < len` by construction: no per-row length assert, and the bit test inlines.
            (0..view.len).map(move |i| {
                if view.validity.map_or(true, |v| v.bit(i)) {
                    Some(view.value(i))
                } else {
                    None
                }
            })
        }
    };
}

/// View of a null-type array: every slot is null.
#[derive(Debug, Clone, Copy)]
pub struct NullArray {
    len: usize,
}

impl NullArray {
    pub(crate) fn new(slots: Slots<'_, '_>) -> Result<Self> {
        match slots.data_type {
            DataType::Null => Ok(NullArray { len: slots.len }),
            _ => Err(slots.mismatch("null")),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Always `false`. Panics if `i >= len()`.
    pub fn is_valid(&self, i: usize) -> bool {
        assert!(i < self.len, "index {i} out of range for {} values", self.len);
        false
    }

    /// Always `true`. Panics if `i >= len()`.
    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    /// Always `None`. Panics if `i >= len()`.
    pub fn get(&self, i: usize) -> Option<()> {
        self.is_valid(i).then_some(())
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<()>> {
        (0..self.len).map(|_| None)
    }
}

/// View of a bool array.
#[derive(Clone, Copy)]
pub struct BoolArray<'a> {
    len: usize,
    values: Bitmap<'a>,
    validity: Option<Bitmap<'a>>,
}

impl<'a> BoolArray<'a> {
    pub(crate) fn new(slots: Slots<'_, 'a>) -> Result<Self> {
        if *slots.data_type != DataType::Bool {
            return Err(slots.mismatch("bool"));
        }
        let values = Bitmap::new(slots.buffer(1), slots.offset, slots.len);
        Ok(BoolArray { len: slots.len, values, validity: slots.validity() })
    }

    common_accessors!(bool);

    /// The value bit at `i`, also behind a null.
    pub fn value(&self, i: usize) -> bool {
        self.values.get(i)
    }

    /// The value bits of the view's slots, including those behind nulls.
    pub fn values(&self) -> Bitmap<'a> {
        self.values
    }
}

/// Typed view of numbers: any type stored as `T` (see [`Primitive::stores`]).
#[derive(Clone, Copy)]
pub struct PrimitiveArray<'a, T> {
    len: usize,
    values: &'a [T],
    validity: Option<Bitmap<'a>>,
}

impl<'a, T: Primitive> PrimitiveArray<'a, T> {
    /// The caller has checked the type.
    pub(crate) fn new(slots: Slots<'_, 'a>) -> Result<Self> {
        let values = ffi::cast_slice::<T>(slots.buffer(1))
            .ok_or_else(|| slots.error("has a misaligned buffer".to_string()))?;
        let values = &values[slots.offset..slots.offset + slots.len];
        Ok(PrimitiveArray { len: slots.len, values, validity: slots.validity() })
    }

    common_accessors!(T);

    /// The value at `i`, also behind a null (unspecified there).
    pub fn value(&self, i: usize) -> T {
        self.values[i]
    }

    /// All value slots, including the (unspecified) values behind nulls.
    pub fn values(&self) -> &'a [T] {
        self.values
    }
}

/// View of a fixed-width type as bytes: `width()` bytes per slot, little endian. Decimals
/// (two's complement), fixed-size binary, intervals (day-time: days `i32`, milliseconds `i32`;
/// month-day-nano: months `i32`, days `i32`, nanoseconds `i64`) and the numbers.
#[derive(Clone, Copy)]
pub struct FixedBytesArray<'a> {
    len: usize,
    width: usize,
    values: &'a [u8],
    validity: Option<Bitmap<'a>>,
}

impl<'a> FixedBytesArray<'a> {
    pub(crate) fn new(slots: Slots<'_, 'a>) -> Result<Self> {
        let width = match (Layout::of(slots.data_type), slots.data_type) {
            (_, DataType::Dictionary { .. }) => return Err(slots.mismatch("a fixed-width type")),
            (Layout::Fixed(width), _) => width,
            _ => return Err(slots.mismatch("a fixed-width type")),
        };
        let values = &slots.buffer(1)[slots.offset * width..(slots.offset + slots.len) * width];
        Ok(FixedBytesArray { len: slots.len, width, values, validity: slots.validity() })
    }

    common_accessors!(&'a [u8]);

    /// Bytes per slot.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The bytes of slot `i`, also behind a null.
    pub fn value(&self, i: usize) -> &'a [u8] {
        assert!(i < self.len, "index {i} out of range for {} values", self.len);
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// The bytes of all slots of the view.
    pub fn values(&self) -> &'a [u8] {
        self.values
    }

    /// Slot `i` of a 16-byte type (decimal128) as an `i128`, `None` when null. Panics when the
    /// width is not 16.
    pub fn get_i128(&self, i: usize) -> Option<i128> {
        assert_eq!(self.width, 16, "get_i128 reads 16-byte values");
        let mut bytes = [0; 16];
        bytes.copy_from_slice(self.get(i)?);
        Some(i128::from_le_bytes(bytes))
    }
}

/// The offsets `[offset, offset + len]` of a variable-size view, checked: non-negative,
/// non-decreasing, the last within `data`.
fn checked_offsets<'a, O: Offset>(slots: &Slots<'_, 'a>, data_len: usize) -> Result<&'a [O]> {
    if slots.len == 0 && slots.node.buffers[1].is_none() {
        return Ok(&[]); // an empty array may leave its offsets out
    }
    let all = ffi::cast_slice::<O>(slots.buffer(1))
        .ok_or_else(|| slots.error("has a misaligned buffer".to_string()))?;
    let offsets = &all[slots.offset..=slots.offset + slots.len];
    let ok = offsets[0].to_usize().is_some()
        && offsets.windows(2).all(|w| w[0] <= w[1])
        && offsets[slots.len].to_usize().map_or(false, |last| last <= data_len);
    if !ok {
        return Err(slots.error("has negative or decreasing offsets".to_string()));
    }
    Ok(offsets)
}

fn offset_at<O: Offset>(offsets: &[O], i: usize) -> usize {
    offsets[i].to_usize().unwrap_or(0)
}

/// View of a binary (`O` = `i32`) or large binary (`O` = `i64`) array.
pub struct GenericBinaryArray<'a, O> {
    len: usize,
    offsets: &'a [O],
    data: &'a [u8],
    validity: Option<Bitmap<'a>>,
}

/// View of a binary array.
pub type BinaryArray<'a> = GenericBinaryArray<'a, i32>;
/// View of a large binary array.
pub type LargeBinaryArray<'a> = GenericBinaryArray<'a, i64>;

impl<O> Clone for GenericBinaryArray<'_, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O> Copy for GenericBinaryArray<'_, O> {}

impl<'a, O: Offset> GenericBinaryArray<'a, O> {
    pub(crate) fn new(slots: Slots<'_, 'a>) -> Result<Self> {
        let expected = if O::LARGE { DataType::LargeBinary } else { DataType::Binary };
        if *slots.data_type != expected {
            return Err(slots.mismatch(expected.name()));
        }
        let data = slots.buffer(2);
        let offsets = checked_offsets::<O>(&slots, data.len())?;
        Ok(GenericBinaryArray { len: slots.len, offsets, data, validity: slots.validity() })
    }

    common_accessors!(&'a [u8]);

    /// The bytes of slot `i`, also behind a null.
    pub fn value(&self, i: usize) -> &'a [u8] {
        assert!(i < self.len, "index {i} out of range for {} values", self.len);
        &self.data[offset_at(self.offsets, i)..offset_at(self.offsets, i + 1)]
    }

    /// The `len() + 1` offsets of the view's slots into [`GenericBinaryArray::data`] (empty for an
    /// empty array without offsets).
    pub fn offsets(&self) -> &'a [O] {
        self.offsets
    }

    /// The data buffer, from its start.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// View of a utf8 (`O` = `i32`) or large utf8 (`O` = `i64`) array, checked as UTF-8 once when
/// the view is made.
pub struct GenericUtf8Array<'a, O> {
    len: usize,
    offsets: &'a [O],
    /// The data from the first offset to the last.
    data: &'a str,
    validity: Option<Bitmap<'a>>,
}

/// View of a utf8 array.
pub type Utf8Array<'a> = GenericUtf8Array<'a, i32>;
/// View of a large utf8 array.
pub type LargeUtf8Array<'a> = GenericUtf8Array<'a, i64>;

impl<O> Clone for GenericUtf8Array<'_, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O> Copy for GenericUtf8Array<'_, O> {}

impl<'a, O: Offset> GenericUtf8Array<'a, O> {
    pub(crate) fn new(slots: Slots<'_, 'a>) -> Result<Self> {
        let expected = if O::LARGE { DataType::LargeUtf8 } else { DataType::Utf8 };
        if *slots.data_type != expected {
            return Err(slots.mismatch(expected.name()));
        }
        let bytes = slots.buffer(2);
        let offsets = checked_offsets::<O>(&slots, bytes.len())?;
        let at = |o: &O| o.to_usize().unwrap_or(0);
        let (first, last) = (offsets.first().map_or(0, at), offsets.last().map_or(0, at));
        let data = std::str::from_utf8(&bytes[first..last])
            .map_err(|e| slots.error(format!("holds invalid UTF-8: {e}")))?;
        if let Some(o) = offsets.iter().find(|o| !data.is_char_boundary(at(o) - first)) {
            return Err(slots.error(format!("has an offset ({o:?}) inside a UTF-8 character")));
        }
        Ok(GenericUtf8Array { len: slots.len, offsets, data, validity: slots.validity() })
    }

    common_accessors!(&'a str);

    /// The string of slot `i`, also behind a null.
    pub fn value(&self, i: usize) -> &'a str {
        assert!(i < self.len, "index {i} out of range for {} values", self.len);
        let base = offset_at(self.offsets, 0);
        &self.data[offset_at(self.offsets, i) - base..offset_at(self.offsets, i + 1) - base]
    }

    /// The `len() + 1` offsets of the view's slots into the data buffer (empty for an empty array
    /// without offsets).
    pub fn offsets(&self) -> &'a [O] {
        self.offsets
    }
}

/// View of a binary_view array: 16-byte views, values of up to 12 bytes inline, longer ones in
/// variadic data buffers. The views of valid slots are checked when the view is made.
#[derive(Clone, Copy)]
pub struct BinaryViewArray<'a> {
    len: usize,
    /// The 16-byte views of the view's slots.
    views: &'a [u8],
    /// The variadic data buffers.
    data: &'a [Option<&'a [u8]>],
    validity: Option<Bitmap<'a>>,
}

impl<'a> BinaryViewArray<'a> {
    pub(crate) fn new(slots: Slots<'a, 'a>) -> Result<Self> {
        if *slots.data_type != DataType::BinaryView {
            return Err(slots.mismatch("binary_view"));
        }
        Self::new_unchecked_type(slots)
    }

    fn new_unchecked_type(slots: Slots<'a, 'a>) -> Result<Self> {
        let buffers = &slots.node.buffers;
        let views =
            &slots.buffer(1)[slots.offset * VIEW_SIZE..(slots.offset + slots.len) * VIEW_SIZE];
        let view = BinaryViewArray {
            len: slots.len,
            views,
            data: &buffers[2..buffers.len() - 1],
            validity: slots.validity(),
        };
        for i in 0..view.len {
            if view.is_valid(i) && view.lookup(i).is_none() {
                return Err(slots.error(format!(
                    "has a view at slot {} outside its variadic buffer",
                    slots.offset + i
                )));
            }
        }
        Ok(view)
    }

    /// The bytes view `i` refers to, or `None` when it is malformed.
    fn lookup(&self, i: usize) -> Option<&'a [u8]> {
        let view = &self.views[i * VIEW_SIZE..(i + 1) * VIEW_SIZE];
        let word = |at: usize| read_offset(view, 4, at);
        let len = usize::try_from(word(0)).ok()?;
        if len <= VIEW_INLINE {
            return Some(&view[4..4 + len]);
        }
        let buffer = self.data.get(usize::try_from(word(2)).ok()?)?.unwrap_or(&[]);
        let start = usize::try_from(word(3)).ok()?;
        buffer.get(start..start.checked_add(len)?)
    }

    common_accessors!(&'a [u8]);

    /// The bytes of valid slot `i` (empty behind a null whose view is malformed).
    pub fn value(&self, i: usize) -> &'a [u8] {
        assert!(i < self.len, "index {i} out of range for {} values", self.len);
        self.lookup(i).unwrap_or(&[])
    }

    /// The 16-byte views of the view's slots.
    pub fn views(&self) -> &'a [u8] {
        self.views
    }

    /// Number of variadic data buffers.
    pub fn num_data_buffers(&self) -> usize {
        self.data.len()
    }

    /// Variadic data buffer `i`.
    pub fn data_buffer(&self, i: usize) -> &'a [u8] {
        self.data[i].unwrap_or(&[])
    }
}

/// View of a utf8_view array, checked as UTF-8 once when the view is made.
#[derive(Clone, Copy)]
pub struct Utf8ViewArray<'a> {
    inner: BinaryViewArray<'a>,
    len: usize,
    validity: Option<Bitmap<'a>>,
}

impl<'a> Utf8ViewArray<'a> {
    pub(crate) fn new(slots: Slots<'a, 'a>) -> Result<Self> {
        if *slots.data_type != DataType::Utf8View {
            return Err(slots.mismatch("utf8_view"));
        }
        let inner = BinaryViewArray::new_unchecked_type(slots)?;
        for i in 0..inner.len {
            if let Some(Err(e)) = inner.get(i).map(std::str::from_utf8) {
                let slot = slots.offset + i;
                return Err(slots.error(format!("holds invalid UTF-8 at slot {slot}: {e}")));
            }
        }
        Ok(Utf8ViewArray { inner, len: inner.len, validity: inner.validity })
    }

    common_accessors!(&'a str);

    /// The string of valid slot `i` (empty behind a null that is not UTF-8).
    pub fn value(&self, i: usize) -> &'a str {
        std::str::from_utf8(self.inner.value(i)).unwrap_or("")
    }

    /// The same slots as bytes.
    pub fn as_binary(&self) -> BinaryViewArray<'a> {
        self.inner
    }
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
    [T: Primitive] PrimitiveArray<'_, T>,
    [] BoolArray<'_>,
    [] FixedBytesArray<'_>,
    [O: Offset] GenericBinaryArray<'_, O>,
    [O: Offset] GenericUtf8Array<'_, O>,
    [] BinaryViewArray<'_>,
    [] Utf8ViewArray<'_>
);
