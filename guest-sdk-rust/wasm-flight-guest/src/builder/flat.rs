//! Typed builders of the types without children. Each converts into an [`ArrayBuilder`]
//! (`.into()`), whose type [`ArrayBuilder::with_data_type`] can change to another of the same
//! layout (e.g. `i64` to a timestamp, fixed bytes to a decimal).

use super::{ArrayBuilder, BitmapBuilder, Buffer, ByteBuf, ValidityBuilder};
use crate::layout::{VIEW_INLINE, VIEW_SIZE};
use crate::{DataType, Field, Offset, Primitive, PrimitiveArray};

/// Implements `Extend` and `FromIterator` of `Option<$item>` through `push`.
macro_rules! collect_options {
    ([$($generics:tt)*] $builder:ty, $item:ty) => {
        impl<$($generics)*> Extend<Option<$item>> for $builder {
            fn extend<I: IntoIterator<Item = Option<$item>>>(&mut self, iter: I) {
                iter.into_iter().for_each(|v| self.push(v));
            }
        }

        from_iter_by_extend!([$($generics)*] $builder, $item);
    };
}

/// Implements `FromIterator` of `Option<$item>` as `extend` on an empty builder.
macro_rules! from_iter_by_extend {
    ([$($generics:tt)*] $builder:ty, $item:ty) => {
        impl<$($generics)*> FromIterator<Option<$item>> for $builder {
            fn from_iter<I: IntoIterator<Item = Option<$item>>>(iter: I) -> Self {
                let mut builder = Self::default();
                builder.extend(iter);
                builder
            }
        }
    };
}

/// Shared `append_value`, `append_null` and `is_empty` over `push` and `len`.
macro_rules! append_methods {
    ($item:ty) => {
        pub fn append_value(&mut self, value: $item) {
            self.push(Some(value));
        }

        pub fn append_null(&mut self) {
            self.push(None);
        }

        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }
    };
}

/// Builds a null-type array (every slot null, no buffers).
#[derive(Debug, Default, Clone)]
pub struct NullBuilder {
    len: usize,
}

impl NullBuilder {
    pub fn new() -> Self {
        NullBuilder::default()
    }

    pub fn append_null(&mut self) {
        self.len += 1;
    }

    pub fn append_nulls(&mut self, n: usize) {
        self.len += n;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl From<NullBuilder> for ArrayBuilder {
    fn from(b: NullBuilder) -> Self {
        ArrayBuilder::new_null(b.len)
    }
}

/// Builds an array of numbers (`T`'s type; see [`ArrayBuilder::with_data_type`] for the
/// temporal types stored as `i32` or `i64`).
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

    /// Values and their validity built in bulk (see [`crate::PrimitiveArray::map`]).
    pub(crate) fn from_parts(values: Vec<T>, validity: ValidityBuilder) -> Self {
        debug_assert_eq!(values.len(), validity.len());
        PrimitiveBuilder { values, validity }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    append_methods!(T);
}

// The output side of a view (here rather than in `view`, which does not depend on builders).
impl<'a, T: Primitive> PrimitiveArray<'a, T> {
    /// `f` applied to every slot, keeping the nulls: the fast path for a scalar function. One
    /// tight loop over [`values`](Self::values) and a bulk copy of the validity bitmap, instead
    /// of an `Option` per row. `f` also runs on the (unspecified) values behind nulls, so it
    /// must accept any value (use wrapping arithmetic, no panics).
    ///
    /// ```
    /// # use wasm_flight_guest::{Batch, OutputBatch, Result};
    /// fn add_one(input: &Batch) -> Result<OutputBatch> {
    ///     let x = input.column(0)?;
    ///     let out = x.primitive::<i64>()?.map(|v| v.wrapping_add(1));
    ///     OutputBatch::new(input.num_rows()).with_column(x.name(), x.is_nullable(), out)
    /// }
    /// ```
    pub fn map<U: Primitive>(&self, f: impl Fn(T) -> U) -> PrimitiveBuilder<U> {
        let values = map_values(self.values(), f);
        PrimitiveBuilder::from_parts(values, ValidityBuilder::copy_of(self.validity(), self.len()))
    }
}

/// The loop of [`PrimitiveArray::map`], kept out of its caller: a JIT compiles one Wasm function
/// as one unit with a limited inlining budget (the server's HotSpot: 8,000 bytecodes per compiled
/// method), and inlined into the guest's entry function, with the batch parsing and output
/// export around it, the loop's loads and stores were left as calls whenever that budget ran
/// out first. On its own the function is small enough to be compiled whole.
#[inline(never)]
fn map_values<T: Primitive, U: Primitive>(values: &[T], f: impl Fn(T) -> U) -> Vec<U> {
    values.iter().map(|&v| f(v)).collect()
}

impl<T: Primitive> Default for PrimitiveBuilder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Primitive> Extend<Option<T>> for PrimitiveBuilder<T> {
    /// 64 rows at a time: their validity gathered in one word and appended once, instead of a
    /// validity push per row (the per-row push was half of a row-wise kernel's time).
    fn extend<I: IntoIterator<Item = Option<T>>>(&mut self, iter: I) {
        let mut iter = iter.into_iter();
        self.values.reserve(iter.size_hint().0);
        loop {
            let (mut bits, mut n) = (0u64, 0);
            while n < 64 {
                match iter.next() {
                    Some(value) => {
                        bits |= u64::from(value.is_some()) << n;
                        self.values.push(value.unwrap_or_default());
                        n += 1;
                    }
                    None => break,
                }
            }
            if n > 0 {
                self.validity.push_bits(bits, n);
            }
            if n < 64 {
                return;
            }
        }
    }
}

from_iter_by_extend!([T: Primitive] PrimitiveBuilder<T>, T);

impl<T: Primitive> From<PrimitiveBuilder<T>> for ArrayBuilder {
    fn from(b: PrimitiveBuilder<T>) -> Self {
        let data = b.validity.finish(vec![Buffer::from_vec(b.values)], vec![]);
        ArrayBuilder::new(Field::new("", T::DATA_TYPE, true), data)
    }
}

/// Builds a bool array.
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
        BoolBuilder { values: BitmapBuilder::with_capacity(capacity), validity: Default::default() }
    }

    pub fn push(&mut self, value: Option<bool>) {
        self.validity.push(value.is_some());
        self.values.push(value.unwrap_or(false));
    }

    /// These values, none of them null.
    pub(crate) fn from_values(values: BitmapBuilder) -> Self {
        BoolBuilder { validity: ValidityBuilder::all_valid(values.len()), values }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    append_methods!(bool);
}

collect_options!([] BoolBuilder, bool);

impl From<BoolBuilder> for ArrayBuilder {
    fn from(b: BoolBuilder) -> Self {
        let data = b.validity.finish(vec![b.values.finish()], vec![]);
        ArrayBuilder::new(Field::new("", DataType::Bool, true), data)
    }
}

/// Builds an array of values of a fixed number of bytes: a fixed-size binary array, which
/// [`ArrayBuilder::with_data_type`] turns into a decimal or interval of the same width.
pub struct FixedBytesBuilder {
    width: usize,
    values: ByteBuf,
    validity: ValidityBuilder,
}

impl FixedBytesBuilder {
    /// Values of `width` bytes each.
    pub fn new(width: usize) -> Self {
        Self::with_capacity(width, 0)
    }

    pub fn with_capacity(width: usize, capacity: usize) -> Self {
        let values = ByteBuf::with_capacity(width.saturating_mul(capacity));
        FixedBytesBuilder { width, values, validity: Default::default() }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Appends a value or a null. Panics when the value is not `width()` bytes long.
    pub fn push(&mut self, value: Option<&[u8]>) {
        self.validity.push(value.is_some());
        match value {
            Some(bytes) => {
                assert_eq!(bytes.len(), self.width, "a value of {} bytes", self.width);
                self.values.extend_from_slice(bytes);
            }
            None => self.values.grow(self.values.len() + self.width),
        }
    }

    pub fn len(&self) -> usize {
        self.validity.len()
    }

    append_methods!(&[u8]);
}

impl<'v> Extend<Option<&'v [u8]>> for FixedBytesBuilder {
    fn extend<I: IntoIterator<Item = Option<&'v [u8]>>>(&mut self, iter: I) {
        iter.into_iter().for_each(|v| self.push(v));
    }
}

impl From<FixedBytesBuilder> for ArrayBuilder {
    fn from(b: FixedBytesBuilder) -> Self {
        let data = b.validity.finish(vec![Buffer::from_bytes(b.values)], vec![]);
        ArrayBuilder::new(Field::new("", DataType::FixedSizeBinary(b.width), true), data)
    }
}

/// Offsets, data and validity shared by the string and binary builders.
struct VarBuilder<O> {
    offsets: Vec<O>,
    data: ByteBuf,
    validity: ValidityBuilder,
}

impl<O: Offset> VarBuilder<O> {
    fn with_capacity(capacity: usize, data_capacity: usize) -> Self {
        let mut offsets = Vec::with_capacity(capacity + 1);
        offsets.push(O::default());
        VarBuilder {
            offsets,
            data: ByteBuf::with_capacity(data_capacity),
            validity: Default::default(),
        }
    }

    /// Panics when the data passes what the offsets can address (2 GiB for `i32`).
    fn push(&mut self, value: Option<&[u8]>) {
        self.validity.push(value.is_some());
        self.data.extend_from_slice(value.unwrap_or_default());
        let end = O::from_usize(self.data.len()).expect("column data exceeds 2 GiB");
        self.offsets.push(end);
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn finish(self, data_type: DataType) -> ArrayBuilder {
        let buffers = vec![Buffer::from_vec(self.offsets), Buffer::from_bytes(self.data)];
        ArrayBuilder::new(Field::new("", data_type, true), self.validity.finish(buffers, vec![]))
    }
}

macro_rules! var_builder {
    ($(#[$doc:meta])* $name:ident, $item:ty, $to_bytes:expr, $small:ident, $large:ident) => {
        $(#[$doc])*
        pub struct $name<O: Offset>(VarBuilder<O>);

        impl<O: Offset> $name<O> {
            pub fn new() -> Self {
                Self::with_capacity(0, 0)
            }

            /// Room for `capacity` values of `data_capacity` bytes in total.
            pub fn with_capacity(capacity: usize, data_capacity: usize) -> Self {
                $name(VarBuilder::with_capacity(capacity, data_capacity))
            }

            /// Appends a value or a null. Panics when the data passes 2 GiB (`i32` offsets).
            pub fn push(&mut self, value: Option<&$item>) {
                self.0.push(value.map($to_bytes));
            }

            pub fn len(&self) -> usize {
                self.0.len()
            }

            append_methods!(&$item);
        }

        impl<O: Offset> Default for $name<O> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<O: Offset, S: AsRef<$item>> Extend<Option<S>> for $name<O> {
            fn extend<I: IntoIterator<Item = Option<S>>>(&mut self, iter: I) {
                iter.into_iter().for_each(|v| self.push(v.as_ref().map(AsRef::as_ref)));
            }
        }

        impl<O: Offset, S: AsRef<$item>> FromIterator<Option<S>> for $name<O> {
            fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Self {
                let iter = iter.into_iter();
                let mut builder = Self::with_capacity(iter.size_hint().0, 0);
                builder.extend(iter);
                builder
            }
        }

        impl<O: Offset> From<$name<O>> for ArrayBuilder {
            fn from(b: $name<O>) -> Self {
                b.0.finish(if O::LARGE { DataType::$large } else { DataType::$small })
            }
        }
    };
}

var_builder!(
    /// Builds a utf8 (`O` = `i32`) or large utf8 (`O` = `i64`) array.
    GenericUtf8Builder, str, str::as_bytes, Utf8, LargeUtf8
);
var_builder!(
    /// Builds a binary (`O` = `i32`) or large binary (`O` = `i64`) array.
    GenericBinaryBuilder, [u8], std::convert::identity, Binary, LargeBinary
);

/// Builds a utf8 array.
pub type Utf8Builder = GenericUtf8Builder<i32>;
/// Builds a large utf8 array.
pub type LargeUtf8Builder = GenericUtf8Builder<i64>;
/// Builds a binary array.
pub type BinaryBuilder = GenericBinaryBuilder<i32>;
/// Builds a large binary array.
pub type LargeBinaryBuilder = GenericBinaryBuilder<i64>;

/// Default size of one variadic data buffer of the view builders.
const DEFAULT_BLOCK: usize = 1 << 20;

/// Views, variadic data buffers and validity shared by the view builders.
struct ViewBuilder {
    views: ByteBuf,
    blocks: Vec<ByteBuf>,
    block_size: usize,
    validity: ValidityBuilder,
}

impl Default for ViewBuilder {
    fn default() -> Self {
        ViewBuilder {
            views: ByteBuf::default(),
            blocks: Vec::new(),
            block_size: DEFAULT_BLOCK,
            validity: ValidityBuilder::default(),
        }
    }
}

impl ViewBuilder {
    /// Panics when one value passes 2 GiB.
    fn push(&mut self, value: Option<&[u8]>) {
        self.validity.push(value.is_some());
        let bytes = value.unwrap_or_default();
        let len = i32::try_from(bytes.len()).expect("a value of at most 2 GiB");
        let mut view = [0u8; VIEW_SIZE];
        view[..4].copy_from_slice(&len.to_le_bytes());
        if bytes.len() <= VIEW_INLINE {
            view[4..4 + bytes.len()].copy_from_slice(bytes);
        } else {
            let fits = self.blocks.last().map_or(false, |b| {
                b.len() + bytes.len() <= self.block_size
                    && b.len() + bytes.len() <= i32::MAX as usize
            });
            if !fits {
                self.blocks.push(ByteBuf::with_capacity(bytes.len().min(self.block_size)));
            }
            let index = self.blocks.len() - 1;
            let block = &mut self.blocks[index];
            view[4..8].copy_from_slice(&bytes[..4]);
            view[8..12].copy_from_slice(&(index as i32).to_le_bytes());
            view[12..16].copy_from_slice(&(block.len() as i32).to_le_bytes());
            block.extend_from_slice(bytes);
        }
        self.views.extend_from_slice(&view);
    }

    fn finish(self, data_type: DataType) -> ArrayBuilder {
        let sizes: Vec<i64> = self.blocks.iter().map(|b| b.len() as i64).collect();
        let mut buffers = vec![Buffer::from_bytes(self.views)];
        buffers.extend(self.blocks.into_iter().map(Buffer::from_bytes));
        buffers.push(Buffer::from_vec(sizes));
        ArrayBuilder::new(Field::new("", data_type, true), self.validity.finish(buffers, vec![]))
    }
}

macro_rules! view_builder {
    ($(#[$doc:meta])* $name:ident, $item:ty, $to_bytes:expr, $data_type:ident) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $name(ViewBuilder);

        impl $name {
            pub fn new() -> Self {
                Self::default()
            }

            /// Longer values go to variadic data buffers of at most `bytes` bytes each (a
            /// longer value gets a buffer of its own); 1 MiB by default.
            pub fn with_block_size(mut self, bytes: usize) -> Self {
                self.0.block_size = bytes.max(1);
                self
            }

            /// Appends a value or a null. Panics when one value passes 2 GiB.
            pub fn push(&mut self, value: Option<&$item>) {
                self.0.push(value.map($to_bytes));
            }

            pub fn len(&self) -> usize {
                self.0.validity.len()
            }

            append_methods!(&$item);
        }

        impl<S: AsRef<$item>> Extend<Option<S>> for $name {
            fn extend<I: IntoIterator<Item = Option<S>>>(&mut self, iter: I) {
                iter.into_iter().for_each(|v| self.push(v.as_ref().map(AsRef::as_ref)));
            }
        }

        impl<S: AsRef<$item>> FromIterator<Option<S>> for $name {
            fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Self {
                let mut builder = Self::default();
                builder.extend(iter);
                builder
            }
        }

        impl From<$name> for ArrayBuilder {
            fn from(b: $name) -> Self {
                b.0.finish(DataType::$data_type)
            }
        }
    };
}

view_builder!(
    /// Builds a utf8_view array.
    Utf8ViewBuilder, str, str::as_bytes, Utf8View
);
view_builder!(
    /// Builds a binary_view array.
    BinaryViewBuilder, [u8], std::convert::identity, BinaryView
);
