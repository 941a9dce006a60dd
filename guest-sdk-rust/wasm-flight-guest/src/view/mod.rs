//! Zero-copy, read-only views over an input batch: the generic [`ArrayView`] of any type and the
//! typed views of `flat` and `nested`.

use std::fmt;

use crate::layout::Layout;
use crate::{DataType, Error, Field, Metadata, Primitive, Result};

mod flat;
mod nested;

pub use flat::{
    BinaryArray, BinaryViewArray, BoolArray, FixedBytesArray, GenericBinaryArray, GenericUtf8Array,
    LargeBinaryArray, LargeUtf8Array, NullArray, PrimitiveArray, Utf8Array, Utf8ViewArray,
};
pub use nested::{DictionaryArray, ListArray, RunEndArray, StructArray, UnionArray};

/// The input record batch of one call. It borrows host memory and lives only during the call.
pub struct Batch<'a> {
    pub(crate) num_rows: usize,
    pub(crate) columns: Vec<Column<'a>>,
    pub(crate) metadata: Metadata,
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

    /// The schema-level metadata of the batch (of its top-level `+s` schema).
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }
}

/// One parsed node of an input array: its slots, its buffers cut to the bytes its type, length
/// and offset address (`layout::fetch_buffers`), its children and dictionary.
pub(crate) struct Node<'a> {
    /// Where the node is, for error messages: `column 2 ('a').b[item]`.
    pub(crate) path: String,
    pub(crate) len: usize,
    pub(crate) offset: usize,
    /// `None` when the C Data array says -1 (unknown).
    pub(crate) null_count: Option<usize>,
    pub(crate) buffers: Vec<Option<&'a [u8]>>,
    pub(crate) children: Vec<Node<'a>>,
    pub(crate) dictionary: Option<Box<Node<'a>>>,
}

impl Node<'_> {
    pub(crate) fn error(&self, what: String) -> Error {
        Error::invalid_input(format!("{} {what}", self.path))
    }
}

/// One input column: its field and its data, viewed through [`Column::array`] or a typed
/// accessor.
pub struct Column<'a> {
    pub(crate) index: usize,
    pub(crate) name: &'a str,
    pub(crate) field: Field,
    pub(crate) node: Node<'a>,
    /// The column's first slot in its buffers (its own offset plus the batch's).
    pub(crate) offset: usize,
    pub(crate) len: usize,
}

impl<'a> Column<'a> {
    /// Position of the column in the batch.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The column's field: name, type, nullability and metadata.
    pub fn field(&self) -> &Field {
        &self.field
    }

    /// The column's type (a copy; `field().data_type()` borrows it).
    pub fn data_type(&self) -> DataType {
        self.field.data_type().clone()
    }

    pub fn is_nullable(&self) -> bool {
        self.field.is_nullable()
    }

    pub fn metadata(&self) -> &Metadata {
        self.field.metadata()
    }

    /// Number of values (the batch's row count).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn null_count(&self) -> usize {
        self.array().null_count()
    }

    /// The column as a generic view of any type.
    pub fn array(&self) -> ArrayView<'_> {
        ArrayView { field: &self.field, node: &self.node, offset: self.offset, len: self.len }
    }

    fn slots(&self) -> Slots<'_, 'a> {
        Slots {
            data_type: self.field.data_type(),
            node: &self.node,
            offset: self.offset,
            len: self.len,
        }
    }

    /// Views a numeric column whose type is exactly `T`'s (e.g. `primitive::<i64>()` for int64;
    /// for the temporal types stored as `i32` or `i64` use `array().as_primitive()`).
    pub fn primitive<T: Primitive>(&self) -> Result<PrimitiveArray<'a, T>> {
        let slots = self.slots();
        if *slots.data_type != T::DATA_TYPE {
            return Err(slots.mismatch(&T::DATA_TYPE.to_string()));
        }
        PrimitiveArray::new(slots)
    }

    /// Views a bool column.
    pub fn boolean(&self) -> Result<BoolArray<'a>> {
        BoolArray::new(self.slots())
    }

    /// Views a utf8 column; fails if its values are not valid UTF-8.
    pub fn utf8(&self) -> Result<Utf8Array<'a>> {
        Utf8Array::new(self.slots())
    }

    /// Views a binary column.
    pub fn binary(&self) -> Result<BinaryArray<'a>> {
        BinaryArray::new(self.slots())
    }
}

/// What the typed views are made from: a type and the slots `[offset, offset + len)` of a node.
/// The node's buffers live for `'a` (host memory), the borrow of the node and type may be shorter.
#[derive(Clone, Copy)]
pub(crate) struct Slots<'b, 'a> {
    pub(crate) data_type: &'b DataType,
    pub(crate) node: &'b Node<'a>,
    pub(crate) offset: usize,
    pub(crate) len: usize,
}

impl<'b, 'a> Slots<'b, 'a> {
    pub(crate) fn error(&self, what: String) -> Error {
        self.node.error(what)
    }

    /// "`path` is `type`, expected `expected`".
    pub(crate) fn mismatch(&self, expected: &str) -> Error {
        self.error(format!("is {}, expected {expected}", self.data_type))
    }

    /// Buffer `i` (empty for a null pointer).
    pub(crate) fn buffer(&self, i: usize) -> &'a [u8] {
        self.node.buffers.get(i).copied().flatten().unwrap_or(&[])
    }

    pub(crate) fn validity(&self) -> Option<Bitmap<'a>> {
        if !Layout::of(self.data_type).has_validity() {
            return None;
        }
        let bytes = self.node.buffers.first().copied().flatten()?;
        Some(Bitmap { bytes, offset: self.offset, len: self.len })
    }
}

/// A zero-copy view of an input array of any type: its field, its slots
/// `[offset, offset + len)` in its buffers, its children and its dictionary, as the C Data
/// Interface lays them out (`proto-docs/types.md`). Typed views (`as_*`) read the values.
///
/// Children are the C Data children with their own offsets and lengths: the parent's offset
/// applies to them as the type says (struct and sparse union children at `offset + i`,
/// fixed-size list children at `(offset + i) * size`), which the typed views do.
#[derive(Clone, Copy)]
pub struct ArrayView<'a> {
    field: &'a Field,
    node: &'a Node<'a>,
    offset: usize,
    len: usize,
}

impl<'a> ArrayView<'a> {
    fn of(field: &'a Field, node: &'a Node<'a>) -> Self {
        ArrayView { field, node, offset: node.offset, len: node.len }
    }

    pub(crate) fn node(&self) -> &'a Node<'a> {
        self.node
    }

    pub(crate) fn slots(&self) -> Slots<'a, 'a> {
        Slots {
            data_type: self.field.data_type(),
            node: self.node,
            offset: self.offset,
            len: self.len,
        }
    }

    /// `true` when the view covers its node exactly (not a slice of it).
    fn is_whole(&self) -> bool {
        self.offset == self.node.offset && self.len == self.node.len
    }

    /// Name, type, nullability and metadata.
    pub fn field(&self) -> &'a Field {
        self.field
    }

    pub fn name(&self) -> &'a str {
        self.field.name()
    }

    pub fn data_type(&self) -> &'a DataType {
        self.field.data_type()
    }

    pub fn is_nullable(&self) -> bool {
        self.field.is_nullable()
    }

    pub fn metadata(&self) -> &'a Metadata {
        self.field.metadata()
    }

    /// Where the array is in the batch, as error messages name it: `column 2 ('a').b[item]`.
    pub fn path(&self) -> &'a str {
        &self.node.path
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first slot of the view in its buffers (C Data `offset`, plus any slicing).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The null count the C Data array declares, when the view is not a slice of it; `None`
    /// for -1 (unknown) or a slice.
    pub fn declared_null_count(&self) -> Option<usize> {
        if self.is_whole() {
            self.node.null_count
        } else {
            None
        }
    }

    /// The number of null slots: of the validity bitmap (counted when not declared); all slots of
    /// a null array; 0 for unions and run-end encoded arrays, which have no validity of their
    /// own.
    pub fn null_count(&self) -> usize {
        if let Some(n) = self.declared_null_count() {
            return n;
        }
        match Layout::of(self.data_type()) {
            Layout::Null => self.len,
            _ => self.validity().map_or(0, |v| v.count_zeros()),
        }
    }

    /// The validity bitmap of the view's slots, `None` when there is none (no nulls, or a type
    /// without one: null, union, run-end encoded).
    pub fn validity(&self) -> Option<Bitmap<'a>> {
        self.slots().validity()
    }

    /// `false` when slot `i` is null: by the validity bitmap; every slot of a null array is
    /// null; unions and run-end encoded arrays have no validity (see [`UnionArray::is_null`],
    /// [`RunEndArray::is_null`]). Panics if `i >= len()`.
    pub fn is_valid(&self, i: usize) -> bool {
        assert!(i < self.len, "index {i} out of range for {} values", self.len);
        match Layout::of(self.data_type()) {
            Layout::Null => false,
            _ => self.validity().map_or(true, |v| v.get(i)),
        }
    }

    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    /// `n_buffers` of the C Data array.
    pub fn num_buffers(&self) -> usize {
        self.node.buffers.len()
    }

    /// Buffer `i` in C Data order, from its start up to the last byte the array's slots
    /// address, or `None` for a null pointer (a validity bitmap without nulls, or an empty
    /// buffer). Panics if `i >= num_buffers()`.
    pub fn buffer(&self, i: usize) -> Option<&'a [u8]> {
        self.node.buffers[i]
    }

    /// All buffers (see [`ArrayView::buffer`]).
    pub fn buffers(&self) -> &'a [Option<&'a [u8]>] {
        &self.node.buffers
    }

    pub fn num_children(&self) -> usize {
        self.node.children.len()
    }

    /// Child `i` (C Data order) with its own offset and length. Panics if
    /// `i >= num_children()`.
    pub fn child(&self, i: usize) -> ArrayView<'a> {
        let field = self.field.data_type().child(i).expect("child index in range");
        ArrayView::of(field, &self.node.children[i])
    }

    /// The children in C Data order.
    pub fn children(&self) -> impl Iterator<Item = ArrayView<'a>> + 'a {
        let view = *self;
        (0..view.num_children()).map(move |i| view.child(i))
    }

    /// The dictionary (values) of a dictionary-encoded array.
    pub fn dictionary(&self) -> Option<ArrayView<'a>> {
        let field = self.field.data_type().dictionary()?;
        Some(ArrayView::of(field, self.node.dictionary.as_deref()?))
    }

    /// The slots `[start, start + len)` of this view. Panics when they are out of range.
    pub fn slice(&self, start: usize, len: usize) -> ArrayView<'a> {
        let end = start.checked_add(len).filter(|&e| e <= self.len);
        assert!(end.is_some(), "slice {start}+{len} out of range for {} values", self.len);
        ArrayView { offset: self.offset + start, len, ..*self }
    }

    /// A view of the null type.
    pub fn as_null(&self) -> Result<NullArray> {
        NullArray::new(self.slots())
    }

    pub fn as_bool(&self) -> Result<BoolArray<'a>> {
        BoolArray::new(self.slots())
    }

    /// A view of the numbers of any type stored as `T` (see [`Primitive::stores`]): `i64` for
    /// int64, timestamps, durations, date64, time64; `i32` for int32, date32, time32, interval
    /// year-month; [`F16`](crate::F16) for float16; and so on.
    pub fn as_primitive<T: Primitive>(&self) -> Result<PrimitiveArray<'a, T>> {
        let slots = self.slots();
        if !T::stores(slots.data_type) {
            return Err(slots.mismatch(&T::DATA_TYPE.to_string()));
        }
        PrimitiveArray::new(slots)
    }

    /// The raw slots of any fixed-width type (decimals, fixed-size binary, intervals, and the
    /// numbers as their little-endian bytes).
    pub fn as_fixed_bytes(&self) -> Result<FixedBytesArray<'a>> {
        FixedBytesArray::new(self.slots())
    }

    pub fn as_utf8(&self) -> Result<Utf8Array<'a>> {
        Utf8Array::new(self.slots())
    }

    pub fn as_binary(&self) -> Result<BinaryArray<'a>> {
        BinaryArray::new(self.slots())
    }

    pub fn as_large_utf8(&self) -> Result<LargeUtf8Array<'a>> {
        LargeUtf8Array::new(self.slots())
    }

    pub fn as_large_binary(&self) -> Result<LargeBinaryArray<'a>> {
        LargeBinaryArray::new(self.slots())
    }

    /// A view of a utf8_view array (checked as UTF-8 once).
    pub fn as_utf8_view(&self) -> Result<Utf8ViewArray<'a>> {
        Utf8ViewArray::new(self.slots())
    }

    /// A view of a binary_view array.
    pub fn as_binary_view(&self) -> Result<BinaryViewArray<'a>> {
        BinaryViewArray::new(self.slots())
    }

    /// A view of a list, large list, fixed-size list, list view, large list view or map (a
    /// list of its `entries` struct).
    pub fn as_list(&self) -> Result<ListArray<'a>> {
        ListArray::new(*self)
    }

    pub fn as_struct(&self) -> Result<StructArray<'a>> {
        StructArray::new(*self)
    }

    pub fn as_union(&self) -> Result<UnionArray<'a>> {
        UnionArray::new(*self)
    }

    pub fn as_dictionary(&self) -> Result<DictionaryArray<'a>> {
        DictionaryArray::new(*self)
    }

    pub fn as_run_end(&self) -> Result<RunEndArray<'a>> {
        RunEndArray::new(*self)
    }
}

impl fmt::Debug for ArrayView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrayView")
            .field("path", &self.path())
            .field("field", &self.field.to_string())
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish()
    }
}

/// An LSB-first bitmap of `len` bits, addressed from bit `offset` of `bytes`.
#[derive(Clone, Copy)]
pub struct Bitmap<'a> {
    bytes: &'a [u8],
    offset: usize,
    len: usize,
}

impl<'a> Bitmap<'a> {
    pub(crate) fn new(bytes: &'a [u8], offset: usize, len: usize) -> Self {
        Bitmap { bytes, offset, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes, from the first byte of the buffer.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The bit of slot 0 in [`Bitmap::bytes`].
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bit `i`. Panics if `i >= len()`.
    pub fn get(&self, i: usize) -> bool {
        assert!(i < self.len, "index {i} out of range for {} bits", self.len);
        self.bit(i)
    }

    /// Bit `i`, for callers that know `i < len()` (no length assert, so it inlines into their
    /// loops; the byte index is still checked).
    #[inline]
    pub(crate) fn bit(&self, i: usize) -> bool {
        let bit = self.offset + i;
        self.bytes[bit / 8] & (1 << (bit % 8)) != 0
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        let (start, end) = (self.offset, self.offset + self.len);
        let mut count = 0;
        let mut bit = start;
        while bit < end && bit % 8 != 0 {
            count += usize::from(self.bytes[bit / 8] & (1 << (bit % 8)) != 0);
            bit += 1;
        }
        let whole = (end - bit) / 8;
        count += self.bytes[bit / 8..bit / 8 + whole]
            .iter()
            .map(|b| b.count_ones() as usize)
            .sum::<usize>();
        bit += whole * 8;
        while bit < end {
            count += usize::from(self.bytes[bit / 8] & (1 << (bit % 8)) != 0);
            bit += 1;
        }
        count
    }

    /// Number of unset bits.
    pub fn count_zeros(&self) -> usize {
        self.len - self.count_ones()
    }

    pub fn iter(&self) -> impl Iterator<Item = bool> + 'a {
        let bitmap = *self;
        (0..bitmap.len).map(move |i| bitmap.get(i))
    }
}

impl fmt::Debug for Bitmap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(u8::from)).finish()
    }
}

impl fmt::Debug for Column<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Column")
            .field("name", &self.name)
            .field("data_type", self.field.data_type())
            .field("nullable", &self.field.is_nullable())
            .field("len", &self.len)
            .field("null_count", &self.null_count())
            .finish()
    }
}

impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("num_rows", &self.num_rows)
            .field("columns", &self.columns)
            .field("metadata", &self.metadata)
            .finish()
    }
}
