//! Builders for the output batch: the generic [`ArrayBuilder`] of any type (`nested`, `copy`)
//! and the typed builders (`flat`). The SDK owns what they produce until the host releases it.

use crate::ffi;
use crate::layout::{check_children, check_null_count, fetch_buffers, Layout};
use crate::view::Bitmap;
use crate::{Batch, DataType, Error, Field, Metadata, Primitive, Result, UnionMode};

mod copy;
mod flat;
mod nested;

pub use flat::{
    BinaryBuilder, BinaryViewBuilder, BoolBuilder, FixedBytesBuilder, GenericBinaryBuilder,
    GenericUtf8Builder, LargeBinaryBuilder, LargeUtf8Builder, NullBuilder, PrimitiveBuilder,
    Utf8Builder, Utf8ViewBuilder,
};

/// Growable bytes in 8-byte aligned memory (so that views of them as numbers are aligned).
#[derive(Clone, Default)]
pub(crate) struct ByteBuf {
    words: Vec<u64>,
    len: usize,
}

impl ByteBuf {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        ByteBuf { words: Vec::with_capacity((bytes + 7) / 8), len: 0 }
    }

    /// `len` zero bytes.
    pub(crate) fn zeroed(len: usize) -> Self {
        ByteBuf { words: vec![0; (len + 7) / 8], len }
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Self {
        let mut buf = ByteBuf::zeroed(bytes.len());
        buf.as_mut_slice().copy_from_slice(bytes);
        buf
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &ffi::as_bytes(&self.words)[..self.len]
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut ffi::words_as_bytes_mut(&mut self.words)[..self.len]
    }

    /// Grows with zero bytes (the bytes past `len` are always zero).
    pub(crate) fn grow(&mut self, len: usize) {
        debug_assert!(len >= self.len);
        self.words.resize((len + 7) / 8, 0);
        self.len = len;
    }

    pub(crate) fn push(&mut self, byte: u8) {
        let at = self.len;
        self.grow(at + 1);
        self.as_mut_slice()[at] = byte;
    }

    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        let at = self.len;
        self.grow(at + bytes.len());
        self.as_mut_slice()[at..].copy_from_slice(bytes);
    }
}

/// A buffer of an output array, kept alive until the host releases the output.
pub(crate) struct Buffer(Box<dyn OwnedBuffer>);

trait OwnedBuffer {
    fn bytes(&self) -> &[u8];
}

impl<T: Primitive> OwnedBuffer for Vec<T> {
    fn bytes(&self) -> &[u8] {
        ffi::as_bytes(self)
    }
}

impl OwnedBuffer for ByteBuf {
    fn bytes(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Clone for Buffer {
    fn clone(&self) -> Self {
        Buffer::from_bytes(ByteBuf::from_slice(self.bytes()))
    }
}

impl Buffer {
    pub(crate) fn from_vec<T: Primitive>(values: Vec<T>) -> Self {
        Buffer(Box::new(values))
    }

    pub(crate) fn from_bytes(bytes: ByteBuf) -> Self {
        Buffer(Box::new(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }
}

/// The low `n` bits of `bits` (`n <= 64`), the others cleared.
fn low_bits(bits: u64, n: usize) -> u64 {
    if n == 64 {
        bits
    } else {
        bits & ((1u64 << n) - 1)
    }
}

/// An LSB-first bitmap being built.
#[derive(Clone, Default)]
pub(crate) struct BitmapBuilder {
    bytes: ByteBuf,
    len: usize,
}

impl BitmapBuilder {
    pub(crate) fn with_capacity(bits: usize) -> Self {
        BitmapBuilder { bytes: ByteBuf::with_capacity((bits + 7) / 8), len: 0 }
    }

    /// `len` set bits.
    pub(crate) fn ones(len: usize) -> Self {
        let mut bytes = ByteBuf::zeroed((len + 7) / 8);
        let slice = bytes.as_mut_slice();
        slice.iter_mut().for_each(|b| *b = 0xFF);
        if len % 8 != 0 {
            slice[len / 8] = (1u8 << (len % 8)) - 1;
        }
        BitmapBuilder { bytes, len }
    }

    pub(crate) fn push(&mut self, bit: bool) {
        if self.len % 8 == 0 {
            self.bytes.push(0);
        }
        if bit {
            self.bytes.as_mut_slice()[self.len / 8] |= 1 << (self.len % 8);
        }
        self.len += 1;
    }

    /// The `n` bits of `bits` (`n <= 64`, no bit set from `n` up: see [`low_bits`]), first bit
    /// lowest: whole bytes when the bitmap ends on a byte boundary (as it does while a builder
    /// is filled 64 rows at a time), else bit by bit.
    pub(crate) fn push_bits(&mut self, bits: u64, n: usize) {
        debug_assert!(n <= 64 && bits == low_bits(bits, n));
        if self.len % 8 != 0 {
            (0..n).for_each(|i| self.push(bits >> i & 1 != 0));
            return;
        }
        let at = self.len / 8;
        let count = (n + 7) / 8;
        self.bytes.grow(at + count);
        self.bytes.as_mut_slice()[at..].copy_from_slice(&bits.to_le_bytes()[..count]);
        self.len += n;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bits built so far.
    pub(crate) fn as_bitmap(&self) -> Bitmap<'_> {
        Bitmap::new(self.bytes.as_slice(), 0, self.len)
    }

    pub(crate) fn finish(self) -> Buffer {
        Buffer::from_bytes(self.bytes)
    }
}

/// Validity of an array being built; the bitmap is only made once the first null arrives.
#[derive(Default)]
pub(crate) struct ValidityBuilder {
    bitmap: Option<BitmapBuilder>,
    len: usize,
    null_count: usize,
}

impl ValidityBuilder {
    /// `len` valid slots (no bitmap).
    pub(crate) fn all_valid(len: usize) -> Self {
        ValidityBuilder { bitmap: None, len, null_count: 0 }
    }

    pub(crate) fn push(&mut self, valid: bool) {
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

    /// The low `n` bits of `bits` (`n <= 64`), first slot lowest: 1 valid, 0 null.
    pub(crate) fn push_bits(&mut self, bits: u64, n: usize) {
        let bits = low_bits(bits, n);
        let valid = bits.count_ones() as usize;
        self.null_count += n - valid;
        match &mut self.bitmap {
            Some(bitmap) => bitmap.push_bits(bits, n),
            None if valid < n => {
                let mut bitmap = BitmapBuilder::ones(self.len);
                bitmap.push_bits(bits, n);
                self.bitmap = Some(bitmap);
            }
            None => {}
        }
        self.len += n;
    }

    /// A copy of a view's validity, in bulk: one byte copy when the bitmap starts on a byte
    /// boundary, else one shift per byte; the null count from a popcount.
    pub(crate) fn copy_of(bitmap: Option<Bitmap<'_>>, len: usize) -> Self {
        let bitmap = match bitmap {
            None => return ValidityBuilder { bitmap: None, len, null_count: 0 },
            Some(bitmap) => bitmap,
        };
        let n = (len + 7) / 8;
        let mut bytes = ByteBuf::zeroed(n);
        let dst = bytes.as_mut_slice();
        let (src, first, shift) = (bitmap.bytes(), bitmap.offset() / 8, bitmap.offset() % 8);
        if shift == 0 {
            dst.copy_from_slice(&src[first..first + n]);
        } else {
            for (j, d) in dst.iter_mut().enumerate() {
                let hi = src.get(first + j + 1).map_or(0, |h| h << (8 - shift));
                *d = (src[first + j] >> shift) | hi;
            }
        }
        if len % 8 != 0 {
            dst[n - 1] &= (1u8 << (len % 8)) - 1;
        }
        let ones: usize = dst.iter().map(|b| b.count_ones() as usize).sum();
        ValidityBuilder { bitmap: Some(BitmapBuilder { bytes, len }), len, null_count: len - ones }
    }

    /// The validity of these slots.
    pub(crate) fn from_bools(validity: &[bool]) -> Self {
        let mut builder = ValidityBuilder::default();
        validity.iter().for_each(|&v| builder.push(v));
        builder
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Array data of this validity (buffer 0), the given further buffers and children.
    pub(crate) fn finish(self, buffers: Vec<Buffer>, children: Vec<Data>) -> Data {
        let mut all = vec![self.bitmap.map(BitmapBuilder::finish)];
        all.extend(buffers.into_iter().map(Some));
        Data {
            len: self.len,
            offset: 0,
            null_count: Some(self.null_count),
            buffers: all,
            children,
            dictionary: None,
        }
    }
}

/// The data of an output array node: slots, buffers in C Data order, children, dictionary.
/// Its type is in the [`Field`] next to it.
#[derive(Clone)]
pub(crate) struct Data {
    pub(crate) len: usize,
    pub(crate) offset: usize,
    /// `None` is written as -1 (unknown).
    pub(crate) null_count: Option<usize>,
    pub(crate) buffers: Vec<Option<Buffer>>,
    pub(crate) children: Vec<Data>,
    pub(crate) dictionary: Option<Box<Data>>,
}

impl ffi::ExportData for Data {
    fn len(&self) -> usize {
        self.len
    }

    fn offset(&self) -> usize {
        self.offset
    }

    fn null_count(&self) -> Option<usize> {
        self.null_count
    }

    fn buffers(&self) -> Vec<Option<&[u8]>> {
        self.buffers.iter().map(|b| b.as_ref().map(Buffer::bytes)).collect()
    }

    fn children(&self) -> &[Data] {
        &self.children
    }

    fn dictionary(&self) -> Option<&Data> {
        self.dictionary.as_deref()
    }
}

impl Data {
    /// The validity bitmap of the slots.
    fn validity(&self, layout: Layout) -> Option<Bitmap<'_>> {
        if !layout.has_validity() {
            return None;
        }
        let bytes = self.buffers.first()?.as_ref()?.bytes();
        Some(Bitmap::new(bytes, self.offset, self.len))
    }

    /// The values buffer of a fixed-width layout, cut to the slots.
    pub(crate) fn fixed_values(&self, width: usize) -> &[u8] {
        let all = self.buffers.get(1).and_then(Option::as_ref).map_or(&[][..], Buffer::bytes);
        all.get(self.offset * width..(self.offset + self.len) * width).unwrap_or(&[])
    }
}

/// The data of a zero-length array of `data_type`: real (empty) buffers where a null pointer is
/// not allowed, one zero offset in offsets buffers, empty children and dictionary.
fn empty_data(data_type: &DataType) -> Data {
    let zeros = |bytes: usize| Some(Buffer::from_bytes(ByteBuf::zeroed(bytes)));
    let buffers = match Layout::of(data_type) {
        Layout::Null | Layout::RunEnd => vec![],
        Layout::Struct | Layout::FixedList(_) => vec![None],
        Layout::Bits | Layout::Fixed(_) => vec![None, zeros(0)],
        Layout::Var(width) => vec![None, zeros(width), zeros(0)],
        Layout::List(width) => vec![None, zeros(width)],
        // Validity, views, no variadic buffer, the (empty) sizes buffer.
        Layout::View | Layout::ListView(_) => vec![None, zeros(0), zeros(0)],
        Layout::Union(UnionMode::Sparse) => vec![zeros(0)],
        Layout::Union(UnionMode::Dense) => vec![zeros(0), zeros(0)],
    };
    Data {
        len: 0,
        offset: 0,
        null_count: Some(0),
        buffers,
        children: data_type.children().map(|c| empty_data(c.data_type())).collect(),
        dictionary: data_type.dictionary().map(|d| Box::new(empty_data(d.data_type()))),
    }
}

/// An output array of any type, nested or not: a [`Field`] (name, type, nullability, metadata)
/// and the data the SDK owns. Typed builders convert into it; [`ArrayBuilder::copy_of`] copies
/// any input view; the `new_*` constructors build nested types from their children.
#[derive(Clone)]
pub struct ArrayBuilder {
    pub(crate) field: Field,
    pub(crate) data: Data,
}

/// The former name of [`ArrayBuilder`], kept for compatibility.
pub type OutputArray = ArrayBuilder;

impl ArrayBuilder {
    pub(crate) fn new(field: Field, data: Data) -> Self {
        ArrayBuilder { field, data }
    }

    /// A zero-length array of any type (nested types get empty children and an empty
    /// dictionary), unnamed and nullable. Fails for a type that is not valid (e.g. a map whose
    /// entries are not a struct of two fields).
    pub fn new_empty(data_type: DataType) -> Result<ArrayBuilder> {
        validate_type(&data_type).map_err(|e| Error::execution(format!("type {data_type} {e}")))?;
        let data = empty_data(&data_type);
        Ok(ArrayBuilder::new(Field::new("", data_type, true), data))
    }

    /// The field: name (`""` until set), type, nullability (`true` until set), metadata.
    pub fn field(&self) -> &Field {
        &self.field
    }

    pub fn data_type(&self) -> &DataType {
        self.field.data_type()
    }

    pub fn name(&self) -> &str {
        self.field.name()
    }

    pub fn is_nullable(&self) -> bool {
        self.field.is_nullable()
    }

    pub fn metadata(&self) -> &Metadata {
        self.field.metadata()
    }

    pub fn len(&self) -> usize {
        self.data.len
    }

    pub fn is_empty(&self) -> bool {
        self.data.len == 0
    }

    /// The first slot in the buffers (C Data `offset`).
    pub fn offset(&self) -> usize {
        self.data.offset
    }

    /// The null count written to the C Data array (`None`: -1, unknown).
    pub fn null_count(&self) -> Option<usize> {
        self.data.null_count
    }

    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.field = self.field.with_name(name);
        self
    }

    pub fn with_nullable(mut self, nullable: bool) -> Self {
        self.field = self.field.with_nullable(nullable);
        self
    }

    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.field = self.field.with_metadata(metadata);
        self
    }

    /// The same data as another type with the same physical layout, e.g. an `i64` array as a
    /// timestamp, fixed bytes as a decimal, or a nested type with other child names. Fails when
    /// the layouts differ.
    pub fn with_data_type(mut self, data_type: DataType) -> Result<Self> {
        if !same_layout(self.field.data_type(), &data_type) {
            return Err(Error::execution(format!(
                "cannot view {} as {data_type}: their layouts differ",
                self.field.data_type()
            )));
        }
        validate_type(&data_type).map_err(|e| Error::execution(format!("type {data_type} {e}")))?;
        self.field.set_data_type(data_type);
        Ok(self)
    }

    /// This array with the field `field` (see [`ArrayBuilder::with_data_type`]).
    pub fn with_field(self, field: Field) -> Result<Self> {
        let mut builder = self.with_data_type(field.data_type().clone())?;
        builder.field = field;
        Ok(builder)
    }

    /// The slots `[start, start + len)` of this array: only the C Data offset and length
    /// change, the buffers stay. Panics when they are out of range.
    pub fn slice(mut self, start: usize, len: usize) -> Self {
        let end = start.checked_add(len).filter(|&e| e <= self.data.len);
        assert!(end.is_some(), "slice {start}+{len} out of range for {} values", self.data.len);
        self.data.offset += start;
        self.data.len = len;
        let layout = Layout::of(self.field.data_type());
        self.data.null_count = Some(match layout {
            Layout::Null => len,
            _ => self.data.validity(layout).map_or(0, |v| v.count_zeros()),
        });
        self
    }

    /// Checks that the data fits the type: buffer counts and sizes, child counts and lengths,
    /// null counts, dictionaries (what the host checks without reading values).
    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        check_data(&self.field, &self.data, "")
    }
}

/// `true` when data of type `a` is valid data of type `b`.
fn same_layout(a: &DataType, b: &DataType) -> bool {
    let same_union = match (a, b) {
        (DataType::Union { type_ids: x, .. }, DataType::Union { type_ids: y, .. }) => x == y,
        _ => true,
    };
    let same_dictionary = match (a.dictionary(), b.dictionary()) {
        (Some(x), Some(y)) => same_layout(x.data_type(), y.data_type()),
        (None, None) => true,
        _ => false,
    };
    Layout::of(a) == Layout::of(b)
        && same_union
        && same_dictionary
        && a.num_children() == b.num_children()
        && a.children().zip(b.children()).all(|(x, y)| same_layout(x.data_type(), y.data_type()))
}

/// What a type must satisfy beyond its layout (what parsing a format checks on input).
fn validate_type(data_type: &DataType) -> std::result::Result<(), String> {
    match data_type {
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => {}
            other => return Err(format!("is a map of {other}, expected a struct of 2")),
        },
        DataType::Union { type_ids, fields, .. } => {
            let distinct = type_ids.iter().enumerate().all(|(i, id)| !type_ids[..i].contains(id));
            if type_ids.len() != fields.len() || type_ids.iter().any(|&id| id < 0) || !distinct {
                return Err("needs one distinct type id in 0..=127 per field".to_string());
            }
        }
        DataType::Dictionary { index, .. } if !index.is_integer() => {
            return Err(format!("has dictionary indices of type {index}, expected an integer"));
        }
        DataType::RunEndEncoded(run_ends, _)
            if !matches!(
                run_ends.data_type(),
                DataType::Int16 | DataType::Int32 | DataType::Int64
            ) =>
        {
            return Err("needs run ends of type int16, int32 or int64".to_string());
        }
        _ => {}
    }
    for child in data_type.children().chain(data_type.dictionary()) {
        validate_type(child.data_type())?;
    }
    Ok(())
}

/// Checks data against its field, recursively; errors start with the path below the array.
fn check_data(field: &Field, data: &Data, path: &str) -> std::result::Result<(), String> {
    let fail = |what: String| {
        if path.is_empty() {
            what
        } else {
            format!("at {path} {what}")
        }
    };
    let data_type = field.data_type();
    validate_type(data_type).map_err(fail)?;
    let layout = Layout::of(data_type);
    let end = data.offset.checked_add(data.len).ok_or_else(|| fail("is too long".into()))?;
    let buffers =
        fetch_buffers(layout, end, data.buffers.len(), |i, bytes| match &data.buffers[i] {
            None => Ok(None),
            Some(buffer) => match buffer.bytes().get(..bytes) {
                Some(bytes) => Ok(Some(bytes)),
                None => Err(format!(
                    "has a buffer {i} of {} bytes, which must hold {bytes}",
                    buffer.bytes().len()
                )),
            },
        })
        .map_err(fail)?;
    let has_bitmap = layout.has_validity() && buffers[0].is_some();
    let null_count = data.null_count.map_or(-1, |n| n as i64);
    check_null_count(layout, null_count, data.len, has_bitmap).map_err(fail)?;
    let n = data_type.num_children();
    if data.children.len() != n {
        return Err(fail(format!("has {} children, its type takes {n}", data.children.len())));
    }
    let lens: Vec<(&str, usize)> =
        data_type.children().zip(&data.children).map(|(f, c)| (f.name(), c.len)).collect();
    check_children(layout, end, &buffers, &lens).map_err(fail)?;
    for (child_field, child) in data_type.children().zip(&data.children) {
        let sep = if matches!(layout, Layout::Struct | Layout::Union(_) | Layout::RunEnd) {
            "."
        } else {
            "[]."
        };
        check_data(child_field, child, &format!("{path}{sep}{}", child_field.name()))?;
    }
    match (data_type.dictionary(), &data.dictionary) {
        (Some(value), Some(dictionary)) => {
            check_data(value, dictionary, &format!("{path} dictionary"))?;
        }
        (None, None) => {}
        _ => return Err(fail("has a dictionary type without dictionary or the reverse".into())),
    }
    Ok(())
}

/// `true` when a name or time zone in the field's tree has a NUL byte (C strings cannot hold
/// one).
fn has_nul(field: &Field) -> bool {
    let data_type = field.data_type();
    field.name().contains('\0')
        || matches!(data_type, DataType::Timestamp(_, Some(tz)) if tz.contains('\0'))
        || data_type.children().chain(data_type.dictionary()).any(has_nul)
}

/// The output record batch of a call: named columns of equal length, and schema-level metadata.
pub struct OutputBatch {
    pub(crate) num_rows: usize,
    pub(crate) columns: Vec<ArrayBuilder>,
    pub(crate) metadata: Metadata,
}

/// Prints the row count and the fields (not the values).
impl std::fmt::Debug for OutputBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<String> = self.fields().map(Field::to_string).collect();
        f.debug_struct("OutputBatch")
            .field("num_rows", &self.num_rows)
            .field("fields", &fields)
            .finish()
    }
}

impl OutputBatch {
    /// An empty batch of `num_rows` rows (a `map` function returns as many rows as it got).
    pub fn new(num_rows: usize) -> Self {
        OutputBatch { num_rows, columns: Vec::new(), metadata: Metadata::new() }
    }

    /// A zero-row batch with these columns (names, types, nullability and metadata of
    /// `schema`); see [`ArrayBuilder::new_empty`].
    pub fn new_empty(schema: &[Field]) -> Result<Self> {
        let mut batch = OutputBatch::new(0);
        for field in schema {
            let array = ArrayBuilder::new_empty(field.data_type().clone())?;
            batch = batch.with_array(ArrayBuilder { field: field.clone(), ..array })?;
        }
        Ok(batch)
    }

    /// Adds a column built by any builder, named `name` and nullable or not (the builder's own
    /// name and nullability are replaced, its metadata kept). Fails as
    /// [`OutputBatch::with_array`] does.
    pub fn with_column(
        self,
        name: &str,
        nullable: bool,
        array: impl Into<ArrayBuilder>,
    ) -> Result<Self> {
        self.with_array(array.into().with_name(name).with_nullable(nullable))
    }

    /// Adds a column with the builder's field: its name, nullability and metadata. Fails when
    /// its length is not the batch's row count, when it has nulls but is not nullable, or when a
    /// name in it contains a NUL byte.
    pub fn with_array(mut self, array: ArrayBuilder) -> Result<Self> {
        let name = array.name().to_string();
        let fail = |what: String| Err(Error::execution(format!("output column '{name}' {what}")));
        if array.len() != self.num_rows {
            return fail(format!("has {} rows, the batch has {}", array.len(), self.num_rows));
        }
        let nulls = array.null_count().unwrap_or(0);
        if !array.is_nullable() && nulls > 0 {
            return fail(format!("is not nullable but has {nulls} null(s)"));
        }
        if name.contains('\0') {
            return fail("has a NUL byte in its name".to_string());
        }
        if has_nul(array.field()) {
            return fail("has a NUL byte in a child name or time zone".to_string());
        }
        // Every constructor makes data that fits its type (`from_parts` checks it).
        debug_assert_eq!(array.check(), Ok(()), "output column '{name}'");
        self.columns.push(array);
        Ok(self)
    }

    /// This batch with schema-level `metadata` (on the top-level `+s` schema).
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    /// The fields of the columns, in order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> + '_ {
        self.columns.iter().map(ArrayBuilder::field)
    }

    /// Runs `f` on this batch read back through the input API, exactly as the host would see it
    /// after a round trip through the C Data structs. Handy for native tests of a function.
    pub fn as_input<R>(self, f: impl FnOnce(&Batch<'_>) -> R) -> Result<R> {
        let exported = self.export();
        let (schema, array) = exported.refs();
        crate::import::import_batch(schema, array).map(|batch| f(&batch))
    }

    /// The batch exported to C Data structs, as the host writes an input batch.
    pub(crate) fn export(self) -> ffi::Exported {
        let (field, data) = self.into_root();
        ffi::Exported::new(&field, data)
    }

    /// Writes the batch into the host's zeroed output slots at these addresses (ABI §5.4).
    pub(crate) fn write_to(self, schema: usize, array: usize) -> Result<()> {
        let (field, data) = self.into_root();
        ffi::write_output(&field, data, schema, array)
    }

    /// The batch as one struct array (ABI §5.1): its field and data.
    pub(crate) fn into_root(self) -> (Field, Data) {
        let (fields, children): (Vec<Field>, Vec<Data>) =
            self.columns.into_iter().map(|c| (c.field, c.data)).unzip();
        let field = Field::new("", DataType::Struct(fields), false).with_metadata(self.metadata);
        let data = Data {
            len: self.num_rows,
            offset: 0,
            null_count: Some(0),
            buffers: vec![None],
            children,
            dictionary: None,
        };
        (field, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(columns: Vec<(&str, bool, ArrayBuilder)>, rows: usize) -> OutputBatch {
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

    /// Length, null count and buffer bytes of what a builder makes.
    fn parts(b: PrimitiveBuilder<i32>) -> (usize, Option<usize>, Vec<Option<Vec<u8>>>) {
        let data = ArrayBuilder::from(b).data;
        let buffers = data.buffers.iter().map(|b| b.as_ref().map(|b| b.bytes().to_vec())).collect();
        (data.len, data.null_count, buffers)
    }

    #[test]
    fn collect_and_extend_match_pushing_row_by_row() {
        // collect/extend gather validity 64 rows at a time; every length around those chunks,
        // with no nulls, nulls throughout, a first null at a chunk start or inside a later chunk
        // and only nulls, from empty and after pushes that leave the bitmap mid-byte.
        let patterns: [fn(usize) -> bool; 5] =
            [|_| true, |i| i % 7 != 3, |i| i != 64, |i| i < 100, |_| false];
        for len in [0, 1, 7, 8, 63, 64, 65, 127, 128, 130, 200] {
            for (p, valid) in patterns.iter().enumerate() {
                let rows: Vec<Option<i32>> =
                    (0..len).map(|i| Some(i as i32 * 3 - 7).filter(|_| valid(i))).collect();
                for before in [0, 3, 8] {
                    let head: Vec<Option<i32>> =
                        (0..before).map(|i| Some(i).filter(|i| i % 2 == 0)).collect();
                    let mut pushed = PrimitiveBuilder::<i32>::new();
                    head.iter().chain(&rows).for_each(|&v| pushed.push(v));
                    let mut extended = PrimitiveBuilder::<i32>::new();
                    head.iter().for_each(|&v| extended.push(v));
                    extended.extend(rows.iter().copied());
                    let what = format!("len {len}, pattern {p}, {before} pushed before");
                    assert_eq!(extended.len(), before as usize + len, "{what}");
                    assert_eq!(parts(extended), parts(pushed), "{what}");
                }
                let mut pushed = PrimitiveBuilder::<i32>::new();
                rows.iter().for_each(|&v| pushed.push(v));
                let collected: PrimitiveBuilder<i32> = rows.iter().copied().collect();
                assert_eq!(parts(collected), parts(pushed), "len {len}, pattern {p}, collected");
            }
        }
    }

    #[test]
    fn no_nulls_means_no_validity_bitmap() {
        let ints: PrimitiveBuilder<i8> = [Some(1), Some(2)].into_iter().collect();
        assert!(ArrayBuilder::from(ints).data.buffers[0].is_none());
        let mut b = BoolBuilder::new();
        b.append_value(true);
        b.append_null();
        assert_eq!((b.len(), ArrayBuilder::from(b).null_count()), (2, Some(1)));
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
