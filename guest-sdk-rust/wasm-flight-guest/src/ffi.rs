//! The wasm32 Arrow C Data Interface structs (ABI §5), the SDK's exports (ABI §3) and every line
//! of `unsafe` in the SDK: reading the host's input batch, writing and releasing the output, and
//! the allocator.

use std::alloc::{self, Layout as AllocLayout};
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::{mem, ptr, slice};

use crate::builder::{OutputArray, OutputBatch};
use crate::types::{DataType, Layout, Primitive};
use crate::view::{Batch, Bitmap, Column, RawArray};
use crate::{Error, Result};

/// `ARROW_FLAG_NULLABLE` (value 2) in `ArrowSchema::flags`.
const FLAG_NULLABLE: i64 = 2;

#[repr(C)]
pub(crate) struct ArrowSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut c_void,
}

#[repr(C)]
pub(crate) struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut c_void,
}

// The layout of ABI §5 (field offsets follow from `repr(C)` and the field order above).
#[cfg(target_pointer_width = "32")]
const _: () = {
    assert!(mem::size_of::<ArrowSchema>() == 48 && mem::align_of::<ArrowSchema>() == 8);
    assert!(mem::size_of::<ArrowArray>() == 64 && mem::align_of::<ArrowArray>() == 8);
};
// Native builds (tests) have the standard 64-bit C Data layout.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(mem::size_of::<ArrowSchema>() == 72 && mem::size_of::<ArrowArray>() == 80);
};

impl ArrowSchema {
    const EMPTY: ArrowSchema = ArrowSchema {
        format: ptr::null(),
        name: ptr::null(),
        metadata: ptr::null(),
        flags: 0,
        n_children: 0,
        children: ptr::null_mut(),
        dictionary: ptr::null_mut(),
        release: None,
        private_data: ptr::null_mut(),
    };
}

impl ArrowArray {
    const EMPTY: ArrowArray = ArrowArray {
        length: 0,
        null_count: 0,
        offset: 0,
        n_buffers: 0,
        n_children: 0,
        buffers: ptr::null_mut(),
        children: ptr::null_mut(),
        dictionary: ptr::null_mut(),
        release: None,
        private_data: ptr::null_mut(),
    };
}

// ---------------------------------------------------------------------------------------------
// Reading host memory

fn malformed(what: String) -> Error {
    Error::invalid_input(format!("malformed input: {what}"))
}

/// Checks that `ptr` may address `len` values of `T`: non-null, aligned, size within `isize`.
fn check_ptr<T>(ptr: *const T, len: usize) -> Result<()> {
    let size = len.checked_mul(mem::size_of::<T>()).filter(|&s| s <= isize::MAX as usize);
    if ptr.is_null() || ptr as usize % mem::align_of::<T>() != 0 || size.is_none() {
        return Err(malformed(format!("bad pointer {:#x} to {len} values", ptr as usize)));
    }
    Ok(())
}

/// Borrows `len` values at `ptr` in host-owned input memory.
fn slice_at<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    check_ptr(ptr, len)?;
    // SAFETY: non-null, aligned and of valid size (checked). The host guarantees that every
    // pointer it writes covers the values the batch needs and that nobody writes that memory
    // during the call (ABI §5.3); the borrow does not outlive the call.
    Ok(unsafe { slice::from_raw_parts(ptr, len) })
}

fn deref<'a, T>(ptr: *const T) -> Result<&'a T> {
    slice_at(ptr, 1).map(|s| &s[0])
}

fn c_str<'a>(ptr: *const c_char) -> Result<&'a str> {
    check_ptr(ptr, 1)?;
    // SAFETY: non-null (checked); the host writes NUL-terminated strings (ABI §5), unchanged
    // during the call.
    let s = unsafe { CStr::from_ptr(ptr) };
    s.to_str().map_err(|_| malformed("a format or name is not UTF-8".to_string()))
}

fn count(value: i64, what: &str) -> Result<usize> {
    usize::try_from(value).map_err(|_| malformed(format!("{what} is {value}")))
}

/// Reads the host's input batch at these addresses (ABI §5.1, §5.3). The result borrows host
/// memory: it must be dropped before the entry point returns.
pub(crate) fn read_batch<'a>(schema: usize, array: usize) -> Result<Batch<'a>> {
    import(deref(schema as *const ArrowSchema)?, deref(array as *const ArrowArray)?)
}

/// Borrows `len` host bytes at `ptr` (the options of `init`), for the call only.
pub(crate) fn read_bytes<'a>(ptr: usize, len: usize) -> Result<&'a [u8]> {
    slice_at(ptr as *const u8, len)
}

fn import<'a>(schema: &'a ArrowSchema, array: &'a ArrowArray) -> Result<Batch<'a>> {
    let format = c_str(schema.format)?;
    if format != "+s" {
        return Err(malformed(format!("format is '{format}', expected '+s'")));
    }
    let n = count(schema.n_children, "n_children")?;
    if array.n_children != schema.n_children {
        return Err(malformed("n_children differs in schema and array".to_string()));
    }
    let num_rows = count(array.length, "length")?;
    let offset = count(array.offset, "offset")?;
    let schemas = slice_at(schema.children as *const *const ArrowSchema, n)?;
    let arrays = slice_at(array.children as *const *const ArrowArray, n)?;
    let columns = (0..n)
        .map(|i| import_column(i, deref(schemas[i])?, deref(arrays[i])?, num_rows, offset))
        .collect::<Result<Vec<_>>>()?;
    Ok(Batch { num_rows, columns })
}

/// One child of the struct batch; `rows` and `parent_offset` are the struct's.
fn import_column<'a>(
    index: usize,
    schema: &'a ArrowSchema,
    array: &'a ArrowArray,
    rows: usize,
    parent_offset: usize,
) -> Result<Column<'a>> {
    let name = if schema.name.is_null() { "" } else { c_str(schema.name)? };
    let format = c_str(schema.format)?;
    let fail = |what: String| Error::invalid_input(format!("column {index} ('{name}') {what}"));
    let data_type = DataType::from_format(format)
        .ok_or_else(|| fail(format!("has format '{format}', which ABI 1.0 does not carry")))?;
    let n_buffers = data_type.n_buffers();
    if array.n_buffers != n_buffers as i64 {
        return Err(fail(format!("has {} buffers, expected {n_buffers}", array.n_buffers)));
    }
    let too_long = || fail("is too long".to_string());
    let offset = count(array.offset, "offset")?.checked_add(parent_offset).ok_or_else(too_long)?;
    // Slots `offset..end` are read; the child must hold `parent_offset + rows` values.
    let end = offset.checked_add(rows).ok_or_else(too_long)?;
    if count(array.length, "length")? < parent_offset + rows {
        return Err(fail(format!("has {} values for {rows} rows", array.length)));
    }
    let buffers = slice_at(array.buffers as *const *const u8, n_buffers)?;
    let bitmap_len = end / 8 + usize::from(end % 8 != 0);
    let validity =
        if buffers[0].is_null() { None } else { Some(slice_at(buffers[0], bitmap_len)?) };
    let data = match data_type.layout() {
        Layout::Fixed(width) => {
            [slice_at(buffers[1], end.checked_mul(width).ok_or_else(too_long)?)?, &[][..]]
        }
        Layout::Bits => [slice_at(buffers[1], bitmap_len)?, &[]],
        Layout::Variable => {
            let n_offsets = end.checked_add(1).ok_or_else(too_long)?;
            let offsets = slice_at(buffers[1], n_offsets.checked_mul(4).ok_or_else(too_long)?)?;
            let mut last = [0; 4];
            last.copy_from_slice(&offsets[offsets.len() - 4..]);
            let data_len = usize::try_from(i32::from_le_bytes(last))
                .map_err(|_| fail("has a negative offset".to_string()))?;
            [offsets, slice_at(buffers[2], data_len)?]
        }
    };
    let null_count = usize::try_from(array.null_count).unwrap_or_else(|_| {
        validity.map_or(0, |bytes| (0..rows).filter(|&i| !Bitmap { bytes, offset }.get(i)).count())
    });
    Ok(Column {
        index,
        name,
        data_type,
        nullable: schema.flags & FLAG_NULLABLE != 0,
        null_count,
        data: RawArray { len: rows, offset, validity, buffers: data },
    })
}

/// Views bytes as numbers, or `None` when they are misaligned for `T`.
pub(crate) fn cast_slice<T: Primitive>(bytes: &[u8]) -> Option<&[T]> {
    if bytes.is_empty() {
        return Some(&[]);
    }
    if bytes.as_ptr() as usize % mem::align_of::<T>() != 0 {
        return None;
    }
    // SAFETY: aligned (checked) and within `bytes`; `Primitive` types are plain numbers, for
    // which every bit pattern is a valid value.
    Some(unsafe { slice::from_raw_parts(bytes.as_ptr().cast(), bytes.len() / mem::size_of::<T>()) })
}

// ---------------------------------------------------------------------------------------------
// Writing the output

/// A heap buffer of an output column, kept alive until the host releases the output.
pub(crate) struct Buffer(Box<dyn OwnedBuffer>);

trait OwnedBuffer {
    fn addr(&self) -> *const c_void;
}

impl<T: Primitive> OwnedBuffer for Vec<T> {
    fn addr(&self) -> *const c_void {
        self.as_ptr().cast()
    }
}

impl Buffer {
    pub(crate) fn new<T: Primitive>(values: Vec<T>) -> Self {
        Buffer(Box::new(values))
    }
}

/// What the output `ArrowSchema` points into (its `private_data`).
struct SchemaPrivate {
    _names: Vec<CString>,
    children: Vec<ArrowSchema>,
    pointers: Vec<*mut ArrowSchema>,
}

/// What the output `ArrowArray` points into (its `private_data`).
struct ArrayPrivate {
    _arrays: Vec<OutputArray>,
    _buffers: Vec<Vec<*const c_void>>,
    children: Vec<ArrowArray>,
    pointers: Vec<*mut ArrowArray>,
    top_buffers: [*const c_void; 1],
}

/// Writes `batch` into the host's zeroed output slots at these addresses (ABI §5.4).
pub(crate) fn write_batch(batch: OutputBatch, schema: usize, array: usize) -> Result<()> {
    let (schema, array) = (schema as *mut ArrowSchema, array as *mut ArrowArray);
    check_ptr(schema, 1)?;
    check_ptr(array, 1)?;
    // SAFETY: non-null and aligned (checked); the host passes the two output slots it allocated
    // for the session, which nothing else references during the call (ABI §5.4).
    let (schema, array) = unsafe { (&mut *schema, &mut *array) };
    export(batch, schema, array);
    Ok(())
}

/// Fills `schema` and `array` with a struct batch whose memory `private_data` owns.
fn export(batch: OutputBatch, schema: &mut ArrowSchema, array: &mut ArrowArray) {
    let n = batch.columns.len();
    let mut names = Vec::with_capacity(n);
    let mut arrays = Vec::with_capacity(n);
    let mut buffers = Vec::with_capacity(n);
    let mut child_schemas = Vec::with_capacity(n);
    let mut child_arrays = Vec::with_capacity(n);
    for column in batch.columns {
        let column_buffers: Vec<*const c_void> = column
            .array
            .buffers
            .iter()
            .map(|b| b.as_ref().map_or(ptr::null(), |b| b.0.addr()))
            .collect();
        child_schemas.push(ArrowSchema {
            format: column.array.data_type.format_nul().as_ptr().cast(),
            name: column.name.as_ptr(),
            flags: if column.nullable { FLAG_NULLABLE } else { 0 },
            release: Some(release_child_schema),
            ..ArrowSchema::EMPTY
        });
        child_arrays.push(ArrowArray {
            length: column.array.len as i64,
            null_count: column.array.null_count as i64,
            n_buffers: column_buffers.len() as i64,
            buffers: column_buffers.as_ptr() as *mut _,
            release: Some(release_child_array),
            ..ArrowArray::EMPTY
        });
        // Moving these values does not move the heap memory the pointers above refer to.
        names.push(column.name);
        arrays.push(column.array);
        buffers.push(column_buffers);
    }
    let mut sp =
        Box::new(SchemaPrivate { _names: names, children: child_schemas, pointers: vec![] });
    sp.pointers = sp.children.iter_mut().map(|c| c as *mut _).collect();
    let mut ap = Box::new(ArrayPrivate {
        _arrays: arrays,
        _buffers: buffers,
        children: child_arrays,
        pointers: vec![],
        top_buffers: [ptr::null()],
    });
    ap.pointers = ap.children.iter_mut().map(|c| c as *mut _).collect();
    *schema = ArrowSchema {
        format: "+s\0".as_ptr().cast(),
        n_children: n as i64,
        children: sp.pointers.as_mut_ptr(),
        release: Some(release_schema),
        private_data: Box::into_raw(sp).cast(),
        ..ArrowSchema::EMPTY
    };
    *array = ArrowArray {
        length: batch.num_rows as i64,
        n_buffers: 1,
        n_children: n as i64,
        buffers: ap.top_buffers.as_mut_ptr(),
        children: ap.pointers.as_mut_ptr(),
        release: Some(release_array),
        private_data: Box::into_raw(ap).cast(),
        ..ArrowArray::EMPTY
    };
}

extern "C" fn release_schema(schema: *mut ArrowSchema) {
    // SAFETY: `export` installs this callback on a struct whose `private_data` is the
    // `SchemaPrivate` box it leaked; clearing `release` here makes a second call impossible.
    unsafe {
        let schema = &mut *schema;
        drop(Box::from_raw(schema.private_data.cast::<SchemaPrivate>()));
        *schema = ArrowSchema::EMPTY;
    }
}

extern "C" fn release_array(array: *mut ArrowArray) {
    // SAFETY: as in `release_schema`, with the `ArrayPrivate` box.
    unsafe {
        let array = &mut *array;
        drop(Box::from_raw(array.private_data.cast::<ArrayPrivate>()));
        *array = ArrowArray::EMPTY;
    }
}

/// Children are owned by their parent's private data: releasing one only marks it released.
extern "C" fn release_child_schema(schema: *mut ArrowSchema) {
    // SAFETY: installed by `export` on children that live as long as their parent.
    unsafe { (*schema).release = None }
}

extern "C" fn release_child_array(array: *mut ArrowArray) {
    // SAFETY: installed by `export` on children that live as long as their parent.
    unsafe { (*array).release = None }
}

/// ABI export: releases the output written by the last successful call, leaving both structs
/// with `release == 0`. Slots already released (or never filled) are left alone.
#[no_mangle]
extern "C" fn wf_release(schema: *mut ArrowSchema, array: *mut ArrowArray) {
    // SAFETY: pointers are checked before reading; the host passes back the output slots that
    // `write_batch` filled (ABI §5.4). A non-null `release` means `export` filled the slot.
    if check_ptr(schema, 1).is_ok() && unsafe { (*schema).release.is_some() } {
        release_schema(schema);
    }
    // SAFETY: as above.
    if check_ptr(array, 1).is_ok() && unsafe { (*array).release.is_some() } {
        release_array(array);
    }
}

/// Runs `f` on `batch` exported to C Data structs and read back as input.
pub(crate) fn round_trip<R>(batch: OutputBatch, f: impl FnOnce(&Batch<'_>) -> R) -> Result<R> {
    let (mut schema, mut array) = (ArrowSchema::EMPTY, ArrowArray::EMPTY);
    export(batch, &mut schema, &mut array);
    let result = import(&schema, &array).map(|input| f(&input));
    wf_release(&mut schema, &mut array);
    result
}

// ---------------------------------------------------------------------------------------------
// Scalar exports

/// ABI version 1.0, as `wf_abi_version` reports it: `(major << 16) | minor`.
pub const ABI_VERSION: u32 = 0x0001_0000;

#[no_mangle]
extern "C" fn wf_abi_version() -> u32 {
    ABI_VERSION
}

/// A string as the ABI returns it: `(len << 32) | ptr` (meaningful on wasm32 only).
pub fn abi_str(s: &str) -> u64 {
    (s.len() as u64) << 32 | s.as_ptr() as usize as u64
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error(message: String) {
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
}

#[cfg(test)]
pub(crate) fn last_error() -> String {
    LAST_ERROR.with(|e| e.borrow().clone())
}

/// ABI export: the message of the last non-zero status, or 0 if there was none.
#[no_mangle]
extern "C" fn wf_last_error() -> u64 {
    LAST_ERROR.with(|e| match e.borrow().as_str() {
        "" => 0,
        message => abi_str(message),
    })
}

// ---------------------------------------------------------------------------------------------
// Allocator exports

/// ABI export: `size` bytes aligned to `align` (a power of two, at most 64), or 0.
#[no_mangle]
extern "C" fn wf_alloc(size: usize, align: usize) -> usize {
    match AllocLayout::from_size_align(size, align) {
        Ok(_) if align > 64 => 0,
        // A zero-size block: any non-null aligned address, never dereferenced.
        Ok(_) if size == 0 => align,
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc::alloc(layout) as usize },
        Err(_) => 0,
    }
}

/// ABI export: frees a block from `wf_alloc(size, align)`.
#[no_mangle]
extern "C" fn wf_free(ptr: usize, size: usize, align: usize) {
    if ptr == 0 || size == 0 {
        return;
    }
    if let Ok(layout) = AllocLayout::from_size_align(size, align) {
        // SAFETY: the host frees only blocks `wf_alloc` returned, with the same size and align
        // (ABI §3), so `layout` is the one they were allocated with.
        unsafe { alloc::dealloc(ptr as *mut u8, layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PrimitiveBuilder, Utf8Builder};

    /// C Data input built by hand, as the host would write it (with native pointer sizes).
    struct Input {
        schema: ArrowSchema,
        array: ArrowArray,
        _child_schemas: Vec<ArrowSchema>,
        _child_arrays: Vec<ArrowArray>,
        _pointers: (Vec<*mut ArrowSchema>, Vec<*mut ArrowArray>),
        _children: Vec<Child>,
    }

    /// One column: format (NUL-terminated), name, length, offset, null count, buffers.
    type Child = (&'static str, &'static CStr, i64, i64, i64, Vec<*const c_void>);

    fn addr<T>(v: &[T]) -> *const c_void {
        v.as_ptr().cast()
    }

    fn input(rows: i64, offset: i64, children: Vec<Child>) -> Input {
        let mut child_schemas: Vec<ArrowSchema> = children
            .iter()
            .map(|c| ArrowSchema {
                format: c.0.as_ptr().cast(),
                name: c.1.as_ptr(),
                flags: FLAG_NULLABLE,
                ..ArrowSchema::EMPTY
            })
            .collect();
        let mut child_arrays: Vec<ArrowArray> = children
            .iter()
            .map(|c| ArrowArray {
                length: c.2,
                offset: c.3,
                null_count: c.4,
                n_buffers: c.5.len() as i64,
                buffers: c.5.as_ptr() as *mut _,
                ..ArrowArray::EMPTY
            })
            .collect();
        let mut sp: Vec<*mut ArrowSchema> = child_schemas.iter_mut().map(|c| c as *mut _).collect();
        let mut ap: Vec<*mut ArrowArray> = child_arrays.iter_mut().map(|c| c as *mut _).collect();
        let schema = ArrowSchema {
            format: "+s\0".as_ptr().cast(),
            n_children: children.len() as i64,
            children: sp.as_mut_ptr(),
            ..ArrowSchema::EMPTY
        };
        let array = ArrowArray {
            length: rows,
            offset,
            n_buffers: 1,
            n_children: children.len() as i64,
            children: ap.as_mut_ptr(),
            ..ArrowArray::EMPTY
        };
        Input {
            schema,
            array,
            _child_schemas: child_schemas,
            _child_arrays: child_arrays,
            _pointers: (sp, ap),
            _children: children,
        }
    }

    fn read(input: &Input) -> Result<Batch<'_>> {
        read_batch(&input.schema as *const _ as usize, &input.array as *const _ as usize)
    }

    fn name(s: &'static str) -> &'static CStr {
        CStr::from_bytes_with_nul(s.as_bytes()).unwrap()
    }

    #[test]
    fn int64_with_offsets_and_bit_offset_validity() {
        let values: Vec<i64> = (0..16).collect();
        // Slots 3.. (child offset 1 + struct offset 2); slot 4 and 7 null.
        let validity: Vec<u8> = vec![0b0110_1111, 0xFF];
        let buffers = vec![addr(&validity), addr(&values)];
        let input = input(5, 2, vec![("l\0", name("x\0"), 10, 1, 2, buffers)]);
        let batch = read(&input).unwrap();
        assert_eq!((batch.num_rows(), batch.num_columns()), (5, 1));
        let col = batch.column_by_name("x").unwrap();
        assert_eq!((col.null_count(), col.is_nullable(), col.len()), (2, true, 5));
        let view = col.primitive::<i64>().unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), [Some(3), None, Some(5), Some(6), None]);
        assert_eq!(view.values(), &[3, 4, 5, 6, 7]);
        assert!(view.is_null(1) && view.is_valid(0));
    }

    #[test]
    fn null_validity_pointer_means_no_nulls() {
        let values: Vec<f64> = vec![1.5, 2.5, 3.5];
        let buffers = vec![ptr::null(), addr(&values)];
        let input = input(2, 0, vec![("g\0", name("f\0"), 3, 1, 0, buffers)]);
        let batch = read(&input).unwrap();
        let view = batch.column(0).unwrap().primitive::<f64>().unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), [Some(2.5), Some(3.5)]);
    }

    #[test]
    fn bool_with_bit_offset() {
        let values: Vec<u8> = vec![0b1010_0000, 0b0000_0001];
        let validity: Vec<u8> = vec![0b1011_1111, 0xFF];
        let buffers = vec![addr(&validity), addr(&values)];
        let input = input(5, 0, vec![("b\0", name("b\0"), 5, 5, 1, buffers)]);
        let batch = read(&input).unwrap();
        let view = batch.column(0).unwrap().boolean().unwrap();
        let got: Vec<_> = view.iter().collect();
        assert_eq!(got, [Some(true), None, Some(true), Some(true), Some(false)]);
    }

    #[test]
    fn utf8_with_offset_and_nulls() {
        let data = "xxhéllo∂wörld".as_bytes().to_vec();
        // Slot 0 is "xx" (skipped by offset 1), then "héllo", null, "∂", "wörld".
        let offsets: Vec<i32> = vec![0, 2, 8, 8, 11, 17];
        let validity: Vec<u8> = vec![0b1111_1011];
        let buffers = vec![addr(&validity), addr(&offsets), addr(&data)];
        let input = input(4, 0, vec![("u\0", name("s\0"), 5, 1, 1, buffers)]);
        let batch = read(&input).unwrap();
        let view = batch.column(0).unwrap().utf8().unwrap();
        assert_eq!(view.len(), 4);
        assert_eq!(
            view.iter().collect::<Vec<_>>(),
            [Some("héllo"), None, Some("∂"), Some("wörld")]
        );
        let bin = batch.column(0).unwrap().binary().unwrap_err();
        assert_eq!(bin.message(), "column 0 ('s') is utf8, expected binary");
    }

    #[test]
    fn binary_and_invalid_utf8() {
        let data: Vec<u8> = vec![0xFF, 0xC3, 0xA9];
        let offsets: Vec<i32> = vec![0, 1, 3];
        let buffers = vec![ptr::null(), addr(&offsets), addr(&data)];
        let input = input(2, 0, vec![("z\0", name("z\0"), 2, 0, 0, buffers.clone())]);
        let batch = read(&input).unwrap();
        let view = batch.column(0).unwrap().binary().unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), [Some(&[0xFF][..]), Some(&[0xC3, 0xA9][..])]);

        let input = self::input(2, 0, vec![("u\0", name("u\0"), 2, 0, 0, buffers)]);
        let err = read(&input).unwrap().column(0).unwrap().utf8().unwrap_err();
        assert!(err.message().starts_with("column 0 ('u') holds invalid UTF-8"), "{err}");
        assert_eq!(err.status(), 1);

        let offsets: Vec<i32> = vec![1, 2, 3];
        let buffers = vec![ptr::null(), addr(&offsets), addr(&data)];
        let input = self::input(2, 0, vec![("u\0", name("u\0"), 2, 0, 0, buffers)]);
        let err = read(&input).unwrap().column(0).unwrap().utf8().unwrap_err();
        assert_eq!(err.message(), "column 0 ('u') has an offset (2) inside a UTF-8 character");
    }

    #[test]
    fn type_and_shape_errors() {
        let values: Vec<i32> = vec![1, 2];
        let buffers = vec![ptr::null(), addr(&values)];
        let input = input(2, 0, vec![("i\0", name("x\0"), 2, 0, 0, buffers.clone())]);
        let err = read(&input).unwrap().column(0).unwrap().primitive::<i64>().unwrap_err();
        assert_eq!(err.message(), "column 0 ('x') is int32, expected int64");

        let input = self::input(3, 0, vec![("i\0", name("x\0"), 2, 0, 0, buffers.clone())]);
        assert_eq!(read(&input).err().unwrap().message(), "column 0 ('x') has 2 values for 3 rows");
        let input = self::input(2, 0, vec![("tss:\0", name("t\0"), 2, 0, 0, buffers)]);
        let err = read(&input).err().unwrap();
        assert_eq!(err.message(), "column 0 ('t') has format 'tss:', which ABI 1.0 does not carry");
        assert!(read_batch(0, 0).is_err());
    }

    #[test]
    fn zero_rows_and_zero_columns() {
        let input = input(0, 0, vec![]);
        let batch = read(&input).unwrap();
        assert_eq!((batch.num_rows(), batch.num_columns()), (0, 0));
        assert!(batch.column(0).is_err());
    }

    #[test]
    fn export_then_release() {
        let mut ints = PrimitiveBuilder::<i32>::new();
        ints.extend([Some(1), None]);
        let strings: Utf8Builder = [Some("a"), Some("b")].into_iter().collect();
        let batch = OutputBatch::new(2)
            .with_column("i", true, ints)
            .unwrap()
            .with_column("s", false, strings)
            .unwrap();
        let (mut schema, mut array) = (ArrowSchema::EMPTY, ArrowArray::EMPTY);
        write_batch(batch, &mut schema as *mut _ as usize, &mut array as *mut _ as usize).unwrap();
        assert!(schema.release.is_some() && array.release.is_some());
        {
            let batch = import(&schema, &array).unwrap();
            let i = batch.column(0).unwrap();
            assert_eq!((i.name(), i.is_nullable(), i.null_count()), ("i", true, 1));
            assert!(!batch.column(1).unwrap().is_nullable());
        }
        wf_release(&mut schema, &mut array);
        assert!(schema.release.is_none() && array.release.is_none());
        assert!(schema.private_data.is_null() && array.private_data.is_null());
        wf_release(&mut schema, &mut array); // already released: no-op
        wf_release(ptr::null_mut(), ptr::null_mut());
    }

    #[test]
    fn map_entry_writes_output_or_reports_the_error() {
        fn double(input: &Batch) -> Result<OutputBatch> {
            let x = input.column(0)?.primitive::<i32>()?;
            let out: crate::PrimitiveBuilder<i32> = x.iter().map(|v| v.map(|v| v * 2)).collect();
            OutputBatch::new(input.num_rows()).with_column("y", true, out)
        }
        let call = |input: &Input, f: fn(&Batch<'_>) -> Result<OutputBatch>| {
            let (mut schema, mut array) = (ArrowSchema::EMPTY, ArrowArray::EMPTY);
            let status = crate::macros::map_entry(
                &input.schema as *const _ as usize,
                &input.array as *const _ as usize,
                &mut schema as *mut _ as usize,
                &mut array as *mut _ as usize,
                f,
            );
            let output =
                import(&schema, &array).map(|b| format!("{:?}", b.columns[0].primitive::<i32>()));
            wf_release(&mut schema, &mut array);
            (status, output.map_err(|_| last_error()))
        };
        let values: Vec<i32> = vec![1, 2, 3];
        let good =
            input(3, 0, vec![("i\0", name("x\0"), 3, 0, 0, vec![ptr::null(), addr(&values)])]);
        assert_eq!(call(&good, double), (0, Ok("Ok([Some(2), Some(4), Some(6)])".to_string())));
        let wrong =
            input(2, 0, vec![("s\0", name("x\0"), 3, 0, 0, vec![ptr::null(), addr(&values)])]);
        assert_eq!(
            call(&wrong, double),
            (1, Err("column 0 ('x') is int16, expected int32".to_string()))
        );
        let short = |_: &Batch| Ok(OutputBatch::new(1));
        let err = "the function returned 1 rows for 3 input rows".to_string();
        assert_eq!(call(&good, short), (2, Err(err)));
    }

    #[test]
    fn alloc_and_free() {
        for (size, align) in [(1, 1), (100, 8), (3, 64), (0, 16)] {
            let p = wf_alloc(size, align);
            assert!(p != 0 && p % align == 0, "{size} {align}");
            wf_free(p, size, align);
        }
        assert_eq!(wf_alloc(8, 3), 0);
        assert_eq!(wf_alloc(8, 128), 0);
    }
}
