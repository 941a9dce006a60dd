//! The wasm32 Arrow C Data Interface structs (ABI §5), the SDK's exports (ABI §3) and every line
//! of `unsafe` in the SDK: reading the host's input structs and buffers, writing and releasing
//! the output, byte views of typed buffers, and the allocator.
//!
//! It knows nothing of batches, views or builders: it reads through checked accessors that
//! `import` turns into views, and exports any tree of [`ExportData`] (the builders' data) with
//! its [`Field`]. It depends only on `error`, `types` and `primitive`.

use std::alloc::{self, Layout as AllocLayout};
use std::any::Any;
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::{mem, ptr, slice};

use crate::{Error, Field, Primitive, Result};

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

/// Checks that `ptr` may address `len` values of `T`: non-null, aligned, size within `isize`,
/// and the end within the address space.
fn check_ptr<T>(ptr: *const T, len: usize) -> std::result::Result<(), String> {
    let size = len.checked_mul(mem::size_of::<T>()).filter(|&s| s <= isize::MAX as usize);
    let fits = size.map_or(false, |s| (ptr as usize).checked_add(s).is_some());
    if ptr.is_null() || ptr as usize % mem::align_of::<T>() != 0 || !fits {
        return Err(format!("has a bad pointer {:#x} to {len} values", ptr as usize));
    }
    Ok(())
}

/// Borrows `len` values at `ptr` in host-owned input memory.
fn slice_at<'a, T>(ptr: *const T, len: usize) -> std::result::Result<&'a [T], String> {
    if len == 0 {
        return Ok(&[]);
    }
    check_ptr(ptr, len)?;
    // SAFETY: non-null, aligned and of valid size (checked). The host guarantees that every
    // pointer it writes covers the values the batch's lengths and offsets imply, which is what
    // the callers compute `len` from, and that nobody writes that memory during the call
    // (ABI §5.3); the borrow does not outlive the call.
    Ok(unsafe { slice::from_raw_parts(ptr, len) })
}

fn deref<'a, T>(ptr: *const T) -> std::result::Result<&'a T, String> {
    slice_at(ptr, 1).map(|s| &s[0])
}

fn c_str<'a>(ptr: *const c_char, what: &str) -> std::result::Result<&'a str, String> {
    check_ptr(ptr, 1)?;
    // SAFETY: non-null (checked); the host writes NUL-terminated strings (ABI §5), unchanged
    // during the call.
    let s = unsafe { CStr::from_ptr(ptr) };
    s.to_str().map_err(|_| format!("has a {what} that is not UTF-8"))
}

fn count(value: i64, what: &str) -> std::result::Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("has {what} {value}"))
}

/// A host `ArrowSchema`, read through checked accessors. Errors are the "what" of a message
/// that the caller prefixes with the path of the field.
#[derive(Clone, Copy)]
pub(crate) struct SchemaRef<'a>(&'a ArrowSchema);

impl<'a> SchemaRef<'a> {
    pub(crate) fn format(self) -> std::result::Result<&'a str, String> {
        c_str(self.0.format, "format")
    }

    /// The name; `""` for a null pointer.
    pub(crate) fn name(self) -> std::result::Result<&'a str, String> {
        if self.0.name.is_null() {
            Ok("")
        } else {
            c_str(self.0.name, "name")
        }
    }

    pub(crate) fn flags(self) -> i64 {
        self.0.flags
    }

    /// The encoded metadata (C Data binary encoding), `None` for a null pointer.
    pub(crate) fn metadata(self) -> std::result::Result<Option<&'a [u8]>, String> {
        let base = self.0.metadata as *const u8;
        if base.is_null() {
            return Ok(None);
        }
        let truncated = || "has metadata that is too long".to_string();
        // Reads the little-endian `i32` at `base + at` (unaligned: a byte slice).
        let read = |at: usize| -> std::result::Result<usize, String> {
            let bytes = slice_at(base.wrapping_add(at), 4)?;
            let n = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            usize::try_from(n).map_err(|_| format!("has metadata with a negative count ({n})"))
        };
        // Walks the pairs to learn the size of the encoding: 4 bytes of count, then per pair a
        // 4-byte length and bytes, twice.
        let mut end = 4usize;
        for _ in 0..read(0)? {
            for _ in 0..2 {
                let len = read(end)?;
                end = end.checked_add(4 + len).ok_or_else(truncated)?;
            }
        }
        slice_at(base, end).map(Some)
    }

    pub(crate) fn children(self) -> std::result::Result<Vec<SchemaRef<'a>>, String> {
        let n = count(self.0.n_children, "n_children")?;
        let pointers = slice_at(self.0.children as *const *const ArrowSchema, n)?;
        pointers.iter().map(|&p| deref(p).map(SchemaRef)).collect()
    }

    pub(crate) fn dictionary(self) -> std::result::Result<Option<SchemaRef<'a>>, String> {
        if self.0.dictionary.is_null() {
            Ok(None)
        } else {
            deref(self.0.dictionary).map(|d| Some(SchemaRef(d)))
        }
    }
}

/// A host `ArrowArray`, read through checked accessors.
#[derive(Clone, Copy)]
pub(crate) struct ArrayRef<'a>(&'a ArrowArray);

impl<'a> ArrayRef<'a> {
    pub(crate) fn length(self) -> i64 {
        self.0.length
    }

    pub(crate) fn null_count(self) -> i64 {
        self.0.null_count
    }

    pub(crate) fn offset(self) -> i64 {
        self.0.offset
    }

    pub(crate) fn n_children(self) -> i64 {
        self.0.n_children
    }

    pub(crate) fn children(self) -> std::result::Result<Vec<ArrayRef<'a>>, String> {
        let n = count(self.0.n_children, "n_children")?;
        let pointers = slice_at(self.0.children as *const *const ArrowArray, n)?;
        pointers.iter().map(|&p| deref(p).map(ArrayRef)).collect()
    }

    pub(crate) fn dictionary(self) -> std::result::Result<Option<ArrayRef<'a>>, String> {
        if self.0.dictionary.is_null() {
            Ok(None)
        } else {
            deref(self.0.dictionary).map(|d| Some(ArrayRef(d)))
        }
    }

    /// The buffer pointers (`n_buffers` of them).
    pub(crate) fn buffers(self) -> std::result::Result<Buffers<'a>, String> {
        let n = count(self.0.n_buffers, "n_buffers")?;
        slice_at(self.0.buffers as *const *const u8, n).map(Buffers)
    }
}

/// The buffer pointers of a host array.
#[derive(Clone, Copy)]
pub(crate) struct Buffers<'a>(&'a [*const u8]);

impl<'a> Buffers<'a> {
    pub(crate) fn len(self) -> usize {
        self.0.len()
    }

    /// Buffer `i` as `bytes` bytes, or `None` for a null pointer. `bytes` must be what the
    /// array's type, lengths and offsets say the buffer holds (`layout::fetch_buffers`).
    pub(crate) fn get(
        self,
        i: usize,
        bytes: usize,
    ) -> std::result::Result<Option<&'a [u8]>, String> {
        let p = self.0[i];
        if p.is_null() {
            return Ok(None);
        }
        slice_at(p, bytes).map(Some)
    }
}

/// The host's input structs at these addresses (ABI §5.1, §5.3), for `import`. They borrow
/// host memory: the batch read from them must be dropped before the entry point returns.
pub(crate) fn input_at<'a>(schema: usize, array: usize) -> Result<(SchemaRef<'a>, ArrayRef<'a>)> {
    let malformed = |what: String| Error::invalid_input(format!("malformed input: {what}"));
    let schema =
        deref(schema as *const ArrowSchema).map_err(|e| malformed(format!("schema {e}")))?;
    let array = deref(array as *const ArrowArray).map_err(|e| malformed(format!("array {e}")))?;
    Ok((SchemaRef(schema), ArrayRef(array)))
}

/// Borrows `len` host bytes at `ptr` (the options of `init`), for the call only.
pub(crate) fn read_bytes<'a>(ptr: usize, len: usize) -> Result<&'a [u8]> {
    slice_at(ptr as *const u8, len)
        .map_err(|e| Error::invalid_input(format!("malformed input: the options {e}")))
}

// ---------------------------------------------------------------------------------------------
// Byte views of typed memory

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

/// The bytes of a slice of numbers.
pub(crate) fn as_bytes<T: Primitive>(values: &[T]) -> &[u8] {
    // SAFETY: `Primitive` types have no padding, so every byte is initialized; `u8` has no
    // alignment requirement; the length is that of the same memory.
    unsafe { slice::from_raw_parts(values.as_ptr().cast(), mem::size_of_val(values)) }
}

/// The bytes of a slice of words, writable.
pub(crate) fn words_as_bytes_mut(words: &mut [u64]) -> &mut [u8] {
    // SAFETY: as in `as_bytes`; the exclusive borrow of `words` is handed on to the bytes, and
    // every byte pattern is a valid `u64`.
    unsafe { slice::from_raw_parts_mut(words.as_mut_ptr().cast(), mem::size_of_val(words)) }
}

// ---------------------------------------------------------------------------------------------
// Writing the output

/// One node of an output array as the export reads it: implemented by the builders' data.
pub(crate) trait ExportData: Sized + 'static {
    fn len(&self) -> usize;
    fn offset(&self) -> usize;
    /// `None` is written as -1 (unknown).
    fn null_count(&self) -> Option<usize>;
    /// The buffers in C Data order, `None` for a null pointer.
    fn buffers(&self) -> Vec<Option<&[u8]>>;
    fn children(&self) -> &[Self];
    fn dictionary(&self) -> Option<&Self>;
}

/// What the output `ArrowSchema` tree points into (the root's `private_data`).
struct SchemaPrivate {
    /// Every schema below the root, in one allocation that never moves.
    _nodes: Vec<ArrowSchema>,
    _strings: Vec<CString>,
    _metadata: Vec<Vec<u8>>,
    _pointers: Vec<Vec<*mut ArrowSchema>>,
}

/// What the output `ArrowArray` tree points into (the root's `private_data`).
struct ArrayPrivate {
    /// Every array below the root, in one allocation that never moves.
    _nodes: Vec<ArrowArray>,
    _buffers: Vec<Vec<*const c_void>>,
    _pointers: Vec<Vec<*mut ArrowArray>>,
    /// Owns the buffers the arrays point to (an `ExportData`).
    _data: Box<dyn Any>,
}

/// Writes the struct array `field`, `data` (a batch, ABI §5.1) into the host's zeroed output
/// slots at these addresses (ABI §5.4).
pub(crate) fn write_output<D: ExportData>(
    field: &Field,
    data: D,
    schema: usize,
    array: usize,
) -> Result<()> {
    let (schema, array) = (schema as *mut ArrowSchema, array as *mut ArrowArray);
    let bad = |e: String| Error::execution(format!("bad output slot: {e}"));
    check_ptr(schema, 1).map_err(bad)?;
    check_ptr(array, 1).map_err(bad)?;
    // SAFETY: non-null and aligned (checked); the host passes the two output slots it allocated
    // for the session, which nothing else references during the call (ABI §5.4).
    let (schema, array) = unsafe { (&mut *schema, &mut *array) };
    export(field, data, schema, array);
    Ok(())
}

/// Fills `schema` and `array` with `field` and `data`, whose memory the roots' `private_data`
/// own.
fn export<D: ExportData>(field: &Field, data: D, schema: &mut ArrowSchema, array: &mut ArrowArray) {
    export_schema(field, schema);
    export_array(data, array);
}

/// Number of schema or array nodes below a field (children and dictionaries, recursively).
fn descendants(field: &Field) -> usize {
    let dt = field.data_type();
    dt.children().chain(dt.dictionary()).map(|c| 1 + descendants(c)).sum()
}

fn export_schema(field: &Field, out: &mut ArrowSchema) {
    let n = descendants(field);
    let mut nodes: Vec<ArrowSchema> = (0..n).map(|_| ArrowSchema::EMPTY).collect();
    let base = nodes.as_mut_ptr();
    let mut owned = (Vec::new(), Vec::new(), Vec::new());
    let mut next = 0;
    let root = fill_schema(field, base, &mut next, &mut owned);
    let private = Box::new(SchemaPrivate {
        _nodes: nodes,
        _strings: owned.0,
        _metadata: owned.1,
        _pointers: owned.2,
    });
    *out = ArrowSchema {
        name: ptr::null(), // the batch has no name (as in ABI 1.0)
        release: Some(release_schema),
        private_data: Box::into_raw(private).cast(),
        ..root
    };
}

/// The address of a pointer array, or null when it is empty.
fn non_empty<T>(pointers: &mut Vec<T>) -> *mut T {
    if pointers.is_empty() {
        ptr::null_mut()
    } else {
        pointers.as_mut_ptr()
    }
}

type SchemaOwned = (Vec<CString>, Vec<Vec<u8>>, Vec<Vec<*mut ArrowSchema>>);

/// The schema of `field`; its descendants are written to `base[*next..]` in pre-order.
fn fill_schema(
    field: &Field,
    base: *mut ArrowSchema,
    next: &mut usize,
    owned: &mut SchemaOwned,
) -> ArrowSchema {
    let dt = field.data_type();
    // Names and time zones were checked for NUL bytes when the column was added.
    let format = CString::new(dt.format()).unwrap_or_default();
    let name = CString::new(field.name()).unwrap_or_default();
    let mut place = |child: &Field, owned: &mut SchemaOwned| {
        let i = *next;
        *next += 1;
        let schema = fill_schema(child, base, next, owned);
        // SAFETY: `descendants` counted one slot per child and dictionary, so `i` is below the
        // length of the vector `base` points into; nothing else references that vector until
        // the export is complete. `wrapping_add` stays inside the allocation.
        unsafe { base.wrapping_add(i).write(schema) };
        base.wrapping_add(i)
    };
    let mut children: Vec<*mut ArrowSchema> = Vec::with_capacity(dt.num_children());
    for child in dt.children() {
        children.push(place(child, owned));
    }
    let dictionary = dt.dictionary().map_or(ptr::null_mut(), |d| place(d, owned));
    let metadata = field.metadata().encode();
    let schema = ArrowSchema {
        format: format.as_ptr(),
        name: name.as_ptr(),
        metadata: metadata.as_ref().map_or(ptr::null(), |m| m.as_ptr().cast()),
        flags: field.flags(),
        n_children: children.len() as i64,
        children: non_empty(&mut children),
        dictionary,
        release: Some(release_child_schema),
        private_data: ptr::null_mut(),
    };
    // Moving these into `owned` does not move the heap memory the pointers refer to.
    owned.0.push(format);
    owned.0.push(name);
    owned.1.extend(metadata);
    owned.2.push(children);
    schema
}

/// Number of array nodes below `data`.
fn data_descendants<D: ExportData>(data: &D) -> usize {
    data.children().iter().chain(data.dictionary()).map(|c| 1 + data_descendants(c)).sum()
}

fn export_array<D: ExportData>(data: D, out: &mut ArrowArray) {
    let n = data_descendants(&data);
    let mut nodes: Vec<ArrowArray> = (0..n).map(|_| ArrowArray::EMPTY).collect();
    let base = nodes.as_mut_ptr();
    let mut owned = (Vec::new(), Vec::new());
    let mut next = 0;
    let root = fill_array(&data, base, &mut next, &mut owned);
    let private = Box::new(ArrayPrivate {
        _nodes: nodes,
        _buffers: owned.0,
        _pointers: owned.1,
        _data: Box::new(data),
    });
    *out = ArrowArray {
        release: Some(release_array),
        private_data: Box::into_raw(private).cast(),
        ..root
    };
}

type ArrayOwned = (Vec<Vec<*const c_void>>, Vec<Vec<*mut ArrowArray>>);

/// The array of `data`; its descendants are written to `base[*next..]` in pre-order.
fn fill_array<D: ExportData>(
    data: &D,
    base: *mut ArrowArray,
    next: &mut usize,
    owned: &mut ArrayOwned,
) -> ArrowArray {
    let mut place = |child: &D, owned: &mut ArrayOwned| {
        let i = *next;
        *next += 1;
        let array = fill_array(child, base, next, owned);
        // SAFETY: as in `fill_schema`, with `data_descendants`.
        unsafe { base.wrapping_add(i).write(array) };
        base.wrapping_add(i)
    };
    let mut children: Vec<*mut ArrowArray> = Vec::with_capacity(data.children().len());
    for child in data.children() {
        children.push(place(child, owned));
    }
    let dictionary = data.dictionary().map_or(ptr::null_mut(), |d| place(d, owned));
    let mut buffers: Vec<*const c_void> =
        data.buffers().into_iter().map(|b| b.map_or(ptr::null(), |b| b.as_ptr().cast())).collect();
    let array = ArrowArray {
        length: data.len() as i64,
        null_count: data.null_count().map_or(-1, |n| n as i64),
        offset: data.offset() as i64,
        n_buffers: buffers.len() as i64,
        n_children: children.len() as i64,
        buffers: non_empty(&mut buffers),
        children: non_empty(&mut children),
        dictionary,
        release: Some(release_child_array),
        private_data: ptr::null_mut(),
    };
    owned.0.push(buffers);
    owned.1.push(children);
    array
}

extern "C" fn release_schema(schema: *mut ArrowSchema) {
    // SAFETY: `export_schema` installs this callback on a struct whose `private_data` is the
    // `SchemaPrivate` box it leaked; clearing the struct here makes a second call impossible.
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

/// Children and dictionaries are owned by the root's private data: releasing one only marks it
/// released.
extern "C" fn release_child_schema(schema: *mut ArrowSchema) {
    // SAFETY: installed by `fill_schema` on nodes that live as long as their root.
    unsafe { (*schema).release = None }
}

extern "C" fn release_child_array(array: *mut ArrowArray) {
    // SAFETY: installed by `fill_array` on nodes that live as long as their root.
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

/// A struct array exported to C Data structs that this value owns (boxed: their addresses do
/// not change), as the host writes an input batch; released on drop. For `as_input` and for
/// native calls of the entry points.
pub(crate) struct Exported {
    schema: Box<ArrowSchema>,
    array: Box<ArrowArray>,
}

impl Exported {
    pub(crate) fn new<D: ExportData>(field: &Field, data: D) -> Exported {
        let mut exported =
            Exported { schema: Box::new(ArrowSchema::EMPTY), array: Box::new(ArrowArray::EMPTY) };
        export(field, data, &mut exported.schema, &mut exported.array);
        exported
    }

    /// The addresses of the two structs, as an entry point takes them.
    pub(crate) fn addresses(&self) -> (usize, usize) {
        (&*self.schema as *const ArrowSchema as usize, &*self.array as *const ArrowArray as usize)
    }

    pub(crate) fn refs(&self) -> (SchemaRef<'_>, ArrayRef<'_>) {
        (SchemaRef(&self.schema), ArrayRef(&self.array))
    }
}

impl Drop for Exported {
    fn drop(&mut self) {
        wf_release(&mut *self.schema, &mut *self.array);
    }
}

/// Two zeroed output slots, as the host passes them to an entry point; what the entry wrote
/// into them is released with `wf_release` on drop (a no-op for slots left empty).
pub(crate) struct OutputSlots {
    schema: Box<ArrowSchema>,
    array: Box<ArrowArray>,
}

impl OutputSlots {
    pub(crate) fn new() -> OutputSlots {
        OutputSlots { schema: Box::new(ArrowSchema::EMPTY), array: Box::new(ArrowArray::EMPTY) }
    }

    /// The addresses of the two slots, as an entry point takes them (to write).
    pub(crate) fn addresses(&mut self) -> (usize, usize) {
        (
            &mut *self.schema as *mut ArrowSchema as usize,
            &mut *self.array as *mut ArrowArray as usize,
        )
    }

    pub(crate) fn refs(&self) -> (SchemaRef<'_>, ArrayRef<'_>) {
        (SchemaRef(&self.schema), ArrayRef(&self.array))
    }
}

impl Drop for OutputSlots {
    fn drop(&mut self) {
        wf_release(&mut *self.schema, &mut *self.array);
    }
}

// ---------------------------------------------------------------------------------------------
// Scalar exports

/// ABI version 1.2, as `wf_abi_version` reports it: `(major << 16) | minor`. 1.1 added every
/// Arrow type of `proto-docs/types.md`, metadata and dictionaries; 1.2 the function kinds
/// `filter`, `table` and `aggregate`, the `finish` and `row_index` catalog keys and the status
/// `WF_MORE` (`proto-docs/abi-v1.md`, changelog).
pub const ABI_VERSION: u32 = 0x0001_0002;

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

/// The message of the last error (for native tests of the entry points).
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
mod tests;
