//! Typed views of the types with children or a dictionary: lists (all five kinds and maps),
//! struct, union, dictionary-encoded and run-end encoded arrays. Their items are
//! [`ArrayView`]s of the children, sliced to the item.

use std::fmt;
use std::ops::Range;

use super::{ArrayView, Bitmap, PrimitiveArray, Slots};
use crate::ffi;
use crate::layout::{read_index, read_offset, Layout};
use crate::{DataType, Error, Field, Primitive, Result, UnionMode};

/// Where the items of a list live in its child.
#[derive(Clone, Copy)]
enum Ranges<'a> {
    /// `len + 1` offsets of this many bytes, from the view's first slot.
    Offsets(&'a [u8], usize),
    /// This many child slots per slot, from the view's first slot.
    Fixed(usize),
    /// Offsets and sizes (`len` each) of this many bytes, from the view's first slot.
    Views(&'a [u8], &'a [u8], usize),
}

/// View of a list, large list, fixed-size list, list view, large list view or map (a list of
/// its `entries` struct of `key` and `value`). Item `i` is a slice of [`ListArray::values`].
/// Offsets (increasing, within the child) and list-view ranges of valid slots are checked when
/// the view is made.
#[derive(Clone, Copy)]
pub struct ListArray<'a> {
    array: ArrayView<'a>,
    values: ArrayView<'a>,
    ranges: Ranges<'a>,
}

impl<'a> ListArray<'a> {
    pub(crate) fn new(array: ArrayView<'a>) -> Result<Self> {
        let slots = array.slots();
        let (offset, len) = (array.offset(), array.len());
        let layout = match array.data_type() {
            DataType::Dictionary { .. } => Layout::Null,
            other => Layout::of(other),
        };
        let ranges = match layout {
            Layout::List(width) => {
                let all = slots.buffer(1);
                Ranges::Offsets(all.get(offset * width..).unwrap_or(&[]), width)
            }
            Layout::FixedList(size) => Ranges::Fixed(size),
            Layout::ListView(width) => {
                let cut = |b: &'a [u8]| &b[offset * width..(offset + len) * width];
                Ranges::Views(cut(slots.buffer(1)), cut(slots.buffer(2)), width)
            }
            _ => return Err(slots.mismatch("a list type")),
        };
        let view = ListArray { array, values: array.child(0), ranges };
        view.check(&slots)?;
        Ok(view)
    }

    fn check(&self, slots: &Slots<'_, '_>) -> Result<()> {
        let child_len = self.values.len() as i64;
        let len = self.array.len();
        match self.ranges {
            Ranges::Offsets(bytes, width) if !bytes.is_empty() => {
                let at = |i| read_offset(bytes, width, i);
                let ok = at(0) >= 0 && (0..len).all(|i| at(i) <= at(i + 1)) && at(len) <= child_len;
                if !ok {
                    return Err(slots.error("has negative, decreasing or too large offsets".into()));
                }
            }
            Ranges::Views(offsets, sizes, width) => {
                for i in (0..len).filter(|&i| self.is_valid(i)) {
                    let (o, s) = (read_offset(offsets, width, i), read_offset(sizes, width, i));
                    if o < 0 || s < 0 || o.checked_add(s).map_or(true, |end| end > child_len) {
                        let slot = self.array.offset() + i;
                        return Err(slots.error(format!(
                            "has a list view at slot {slot} (offset {o}, size {s}) outside its \
                             child of {child_len} values"
                        )));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.array.len()
    }

    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    /// `false` when slot `i` is null. Panics if `i >= len()`.
    pub fn is_valid(&self, i: usize) -> bool {
        self.array.is_valid(i)
    }

    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    /// The validity bitmap of the view's slots (`None`: no nulls).
    pub fn validity(&self) -> Option<Bitmap<'a>> {
        self.array.validity()
    }

    /// The child array: the items are slices of it.
    pub fn values(&self) -> ArrayView<'a> {
        self.values
    }

    /// The child slots of item `i` (empty behind a null whose range is malformed).
    pub fn value_range(&self, i: usize) -> Range<usize> {
        assert!(i < self.len(), "index {i} out of range for {} values", self.len());
        let (start, end) = match self.ranges {
            Ranges::Offsets(bytes, width) if !bytes.is_empty() => {
                (read_offset(bytes, width, i), read_offset(bytes, width, i + 1))
            }
            Ranges::Offsets(..) => (0, 0),
            Ranges::Fixed(size) => {
                let start = (self.array.offset() + i) * size;
                return start..start + size;
            }
            Ranges::Views(offsets, sizes, width) => {
                let start = read_offset(offsets, width, i);
                (start, start.saturating_add(read_offset(sizes, width, i)))
            }
        };
        let fits = 0 <= start && start <= end && end <= self.values.len() as i64;
        if fits {
            start as usize..end as usize
        } else {
            0..0
        }
    }

    /// Number of child slots of item `i`.
    pub fn value_length(&self, i: usize) -> usize {
        self.value_range(i).len()
    }

    /// Item `i` as a slice of the child, also behind a null.
    pub fn value(&self, i: usize) -> ArrayView<'a> {
        let range = self.value_range(i);
        self.values.slice(range.start, range.len())
    }

    /// Item `i`, or `None` when it is null.
    pub fn get(&self, i: usize) -> Option<ArrayView<'a>> {
        if self.is_valid(i) {
            Some(self.value(i))
        } else {
            None
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<ArrayView<'a>>> + 'a {
        let view = *self;
        (0..view.len()).map(move |i| view.get(i))
    }

    /// The list size of a fixed-size list.
    pub fn fixed_size(&self) -> Option<usize> {
        match self.ranges {
            Ranges::Fixed(size) => Some(size),
            _ => None,
        }
    }
}

/// View of a struct array: its columns are its children sliced to its slots.
#[derive(Clone, Copy)]
pub struct StructArray<'a> {
    array: ArrayView<'a>,
    fields: &'a [Field],
}

impl<'a> StructArray<'a> {
    pub(crate) fn new(array: ArrayView<'a>) -> Result<Self> {
        match array.data_type() {
            DataType::Struct(fields) => Ok(StructArray { array, fields }),
            _ => Err(array.slots().mismatch("struct")),
        }
    }

    pub fn len(&self) -> usize {
        self.array.len()
    }

    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    /// `false` when slot `i` is null (its columns may still hold values). Panics if
    /// `i >= len()`.
    pub fn is_valid(&self, i: usize) -> bool {
        self.array.is_valid(i)
    }

    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    /// The fields of the columns.
    pub fn fields(&self) -> &'a [Field] {
        self.fields
    }

    pub fn num_columns(&self) -> usize {
        self.fields.len()
    }

    /// Column `j`: child `j` at the struct's slots. Panics if `j >= num_columns()`.
    pub fn column(&self, j: usize) -> ArrayView<'a> {
        self.array.child(j).slice(self.array.offset(), self.array.len())
    }

    /// The first column named `name`, or an invalid-input error.
    pub fn column_by_name(&self, name: &str) -> Result<ArrayView<'a>> {
        self.find_column(name).ok_or_else(|| {
            Error::invalid_input(format!("{} has no field named '{name}'", self.array.path()))
        })
    }

    /// The first column named `name`, if any.
    pub fn find_column(&self, name: &str) -> Option<ArrayView<'a>> {
        self.fields.iter().position(|f| f.name() == name).map(|j| self.column(j))
    }

    pub fn columns(&self) -> impl Iterator<Item = ArrayView<'a>> + 'a {
        let view = *self;
        (0..view.num_columns()).map(move |j| view.column(j))
    }
}

/// No child for this type id.
const UNDECLARED: u8 = u8::MAX;

/// View of a sparse or dense union. Slot `i` is slot [`UnionArray::value_offset`] of the child
/// for its type id; type ids (declared) and dense offsets (within the child) are checked when
/// the view is made.
#[derive(Clone, Copy)]
pub struct UnionArray<'a> {
    array: ArrayView<'a>,
    mode: UnionMode,
    declared: &'a [i8],
    type_ids: &'a [i8],
    offsets: &'a [i32],
    child_of: [u8; 128],
}

impl<'a> UnionArray<'a> {
    pub(crate) fn new(array: ArrayView<'a>) -> Result<Self> {
        let slots = array.slots();
        let (mode, declared) = match array.data_type() {
            DataType::Union { mode, type_ids, .. } => (*mode, type_ids.as_slice()),
            _ => return Err(slots.mismatch("a union")),
        };
        let mut child_of = [UNDECLARED; 128];
        for (child, &id) in declared.iter().enumerate() {
            child_of[id as usize & 127] = child as u8;
        }
        let range = array.offset()..array.offset() + array.len();
        let type_ids = &ffi::cast_slice::<i8>(slots.buffer(0)).unwrap_or(&[])[range.clone()];
        let offsets = match mode {
            UnionMode::Sparse => &[][..],
            UnionMode::Dense => {
                let all = ffi::cast_slice::<i32>(slots.buffer(1))
                    .ok_or_else(|| slots.error("has a misaligned buffer".to_string()))?;
                &all[range]
            }
        };
        let view = UnionArray { array, mode, declared, type_ids, offsets, child_of };
        for i in 0..array.len() {
            let id = type_ids[i];
            let slot = array.offset() + i;
            if id < 0 || child_of[id as usize] == UNDECLARED {
                return Err(slots.error(format!("has an undeclared type id {id} at slot {slot}")));
            }
            if mode == UnionMode::Dense {
                let child_len = array.child(child_of[id as usize] as usize).len();
                let o = offsets[i];
                if o < 0 || o as usize >= child_len {
                    return Err(slots.error(format!(
                        "has an offset {o} at slot {slot} outside its child of {child_len} values"
                    )));
                }
            }
        }
        Ok(view)
    }

    pub fn len(&self) -> usize {
        self.array.len()
    }

    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    pub fn mode(&self) -> UnionMode {
        self.mode
    }

    /// The type ids the type declares, in child order.
    pub fn declared_type_ids(&self) -> &'a [i8] {
        self.declared
    }

    /// The type id of slot `i`.
    pub fn type_id(&self, i: usize) -> i8 {
        self.type_ids[i]
    }

    /// The index of the child holding slot `i`.
    pub fn child_index(&self, i: usize) -> usize {
        usize::from(self.child_of[self.type_ids[i] as usize])
    }

    /// The slot of the child holding slot `i`: the dense offset, or for a sparse union the
    /// union's own slot.
    pub fn value_offset(&self, i: usize) -> usize {
        match self.mode {
            UnionMode::Dense => self.offsets[i] as usize,
            UnionMode::Sparse => {
                assert!(i < self.len(), "index {i} out of range for {} values", self.len());
                self.array.offset() + i
            }
        }
    }

    /// Slot `i` as a one-slot view of its child.
    pub fn value(&self, i: usize) -> ArrayView<'a> {
        self.child(self.child_index(i)).slice(self.value_offset(i), 1)
    }

    /// `true` when the child value of slot `i` is null.
    pub fn is_null(&self, i: usize) -> bool {
        self.value(i).is_null(0)
    }

    pub fn num_children(&self) -> usize {
        self.array.num_children()
    }

    /// Child `j` with its own offset and length.
    pub fn child(&self, j: usize) -> ArrayView<'a> {
        self.array.child(j)
    }

    pub fn iter(&self) -> impl Iterator<Item = ArrayView<'a>> + 'a {
        let view = *self;
        (0..view.len()).map(move |i| view.value(i))
    }
}

/// View of a dictionary-encoded array: slot `i` is slot [`DictionaryArray::key`] of
/// [`DictionaryArray::values`]. The keys of valid slots are checked to be in range when the view
/// is made.
#[derive(Clone, Copy)]
pub struct DictionaryArray<'a> {
    array: ArrayView<'a>,
    index: &'a DataType,
    ordered: bool,
    keys: &'a [u8],
    width: usize,
    signed: bool,
    values: ArrayView<'a>,
}

impl<'a> DictionaryArray<'a> {
    pub(crate) fn new(array: ArrayView<'a>) -> Result<Self> {
        let slots = array.slots();
        let (index, ordered) = match array.data_type() {
            DataType::Dictionary { index, ordered, .. } => (&**index, *ordered),
            _ => return Err(slots.mismatch("a dictionary")),
        };
        let width = match Layout::of(index) {
            Layout::Fixed(width) => width,
            _ => return Err(slots.mismatch("a dictionary")),
        };
        let signed =
            matches!(index, DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64);
        let values = array.dictionary().ok_or_else(|| slots.error("has no dictionary".into()))?;
        let (offset, len) = (array.offset(), array.len());
        let keys = &slots.buffer(1)[offset * width..(offset + len) * width];
        let view = DictionaryArray { array, index, ordered, keys, width, signed, values };
        for i in (0..len).filter(|&i| array.is_valid(i)) {
            if view.key_value(i).map_or(true, |k| k >= values.len()) {
                return Err(slots.error(format!(
                    "has a dictionary index at slot {} outside its {} values",
                    offset + i,
                    values.len()
                )));
            }
        }
        Ok(view)
    }

    fn key_value(&self, i: usize) -> Option<usize> {
        read_index(self.keys, self.width, self.signed, i)
    }

    pub fn len(&self) -> usize {
        self.array.len()
    }

    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    /// `false` when the index of slot `i` is null. Panics if `i >= len()`.
    pub fn is_valid(&self, i: usize) -> bool {
        self.array.is_valid(i)
    }

    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }

    /// The index type.
    pub fn index_type(&self) -> &'a DataType {
        self.index
    }

    /// `true` when the dictionary order is meaningful (`ARROW_FLAG_DICTIONARY_ORDERED`).
    pub fn is_ordered(&self) -> bool {
        self.ordered
    }

    /// The dictionary.
    pub fn values(&self) -> ArrayView<'a> {
        self.values
    }

    /// The dictionary index of slot `i`, `None` when it is null.
    pub fn key(&self, i: usize) -> Option<usize> {
        if self.is_valid(i) {
            self.key_value(i)
        } else {
            None
        }
    }

    /// Slot `i` as a one-slot view of the dictionary, `None` when its index is null.
    pub fn get(&self, i: usize) -> Option<ArrayView<'a>> {
        self.key(i).map(|k| self.values.slice(k, 1))
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<ArrayView<'a>>> + 'a {
        let view = *self;
        (0..view.len()).map(move |i| view.get(i))
    }

    /// The indices as numbers of their type `T` (e.g. `keys::<i32>()` for int32 indices).
    pub fn keys<T: Primitive>(&self) -> Result<PrimitiveArray<'a, T>> {
        let slots = Slots {
            data_type: self.index,
            node: self.array.node(),
            offset: self.array.offset(),
            len: self.array.len(),
        };
        if *self.index != T::DATA_TYPE {
            return Err(slots.error(format!(
                "has {} dictionary indices, expected {}",
                self.index,
                T::DATA_TYPE
            )));
        }
        PrimitiveArray::new(slots)
    }
}

/// View of a run-end encoded array: slot `i` is slot [`RunEndArray::physical_index`] of
/// [`RunEndArray::values`]. Run ends (no nulls, positive, strictly increasing, the last reaching
/// the end of the view) are checked when the view is made.
#[derive(Clone, Copy)]
pub struct RunEndArray<'a> {
    array: ArrayView<'a>,
    run_ends: ArrayView<'a>,
    values: ArrayView<'a>,
    /// The run ends' values, from the run ends' first slot.
    ends: &'a [u8],
    width: usize,
}

impl<'a> RunEndArray<'a> {
    pub(crate) fn new(array: ArrayView<'a>) -> Result<Self> {
        let slots = array.slots();
        if !matches!(array.data_type(), DataType::RunEndEncoded(..)) {
            return Err(slots.mismatch("run_end_encoded"));
        }
        let (run_ends, values) = (array.child(0), array.child(1));
        let width = match Layout::of(run_ends.data_type()) {
            Layout::Fixed(width) => width,
            _ => return Err(slots.mismatch("run_end_encoded")),
        };
        let (start, runs) = (run_ends.offset(), run_ends.len());
        let ends = &run_ends.slots().buffer(1)[start * width..(start + runs) * width];
        let view = RunEndArray { array, run_ends, values, ends, width };
        let end = (array.offset() + array.len()) as i64;
        let at = |r| read_offset(ends, width, r);
        let increasing = (0..runs).all(|r| at(r) > if r == 0 { 0 } else { at(r - 1) });
        if run_ends.null_count() > 0 || !increasing {
            return Err(
                slots.error("has run ends that are null, not positive or not increasing".into())
            );
        }
        if !array.is_empty() && (runs == 0 || at(runs - 1) < end) {
            return Err(slots.error(format!("has run ends that stop before its end ({end})")));
        }
        if values.len() < runs {
            return Err(slots.error(format!("has {runs} runs but {} values", values.len())));
        }
        Ok(view)
    }

    pub fn len(&self) -> usize {
        self.array.len()
    }

    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    /// Number of runs (of run ends).
    pub fn num_runs(&self) -> usize {
        self.run_ends.len()
    }

    /// The logical end of run `r` (exclusive, counted from the array's offset 0).
    pub fn run_end(&self, r: usize) -> usize {
        read_offset(self.ends, self.width, r) as usize
    }

    /// The run ends child.
    pub fn run_ends(&self) -> ArrayView<'a> {
        self.run_ends
    }

    /// The values child: one value per run.
    pub fn values(&self) -> ArrayView<'a> {
        self.values
    }

    /// The run (and values slot) holding slot `i`. Panics if `i >= len()`.
    pub fn physical_index(&self, i: usize) -> usize {
        assert!(i < self.len(), "index {i} out of range for {} values", self.len());
        let logical = self.array.offset() + i;
        // The first run whose end is after `logical`.
        let (mut lo, mut hi) = (0, self.num_runs());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.run_end(mid) <= logical {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Slot `i` as a one-slot view of the values.
    pub fn value(&self, i: usize) -> ArrayView<'a> {
        self.values.slice(self.physical_index(i), 1)
    }

    /// `true` when the value of slot `i` is null.
    pub fn is_null(&self, i: usize) -> bool {
        self.values.is_null(self.physical_index(i))
    }

    pub fn iter(&self) -> impl Iterator<Item = ArrayView<'a>> + 'a {
        let view = *self;
        (0..view.len()).map(move |i| view.value(i))
    }
}

macro_rules! debug_view {
    ($($view:ident),*) => {$(
        impl fmt::Debug for $view<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($view)).field("array", &self.array).finish()
            }
        }
    )*};
}

debug_view!(ListArray, StructArray, UnionArray, DictionaryArray, RunEndArray);
