//! Tests of the C Data boundary: input written by hand as the host writes it (with native
//! pointer sizes), the raw output structs, the entry points and the allocator.

use super::*;
use crate::import::read_batch;
use crate::{Batch, DataType, Metadata, OutputBatch, PrimitiveBuilder, Utf8Builder};

/// One node of C Data input built by hand, as the host would write it (with native pointer
/// sizes).
struct Host {
    format: &'static str,
    name: &'static str,
    flags: i64,
    metadata: Option<Vec<u8>>,
    length: i64,
    offset: i64,
    null_count: i64,
    buffers: Vec<*const c_void>,
    children: Vec<Host>,
    dictionary: Option<Box<Host>>,
}

fn host(
    format: &'static str,
    name: &'static str,
    length: i64,
    buffers: Vec<*const c_void>,
) -> Host {
    Host {
        format,
        name,
        flags: 2,
        metadata: None,
        length,
        offset: 0,
        null_count: 0,
        buffers,
        children: vec![],
        dictionary: None,
    }
}

/// The C structs of a `Host` tree and everything they point to (boxed: the structs must
/// not move once their addresses are taken).
#[derive(Default)]
#[allow(clippy::vec_box)]
struct Structs {
    strings: Vec<CString>,
    metadata: Vec<Vec<u8>>,
    schemas: Vec<Box<ArrowSchema>>,
    arrays: Vec<Box<ArrowArray>>,
    schema_pointers: Vec<Vec<*mut ArrowSchema>>,
    array_pointers: Vec<Vec<*mut ArrowArray>>,
    buffers: Vec<Vec<*const c_void>>,
}

impl Structs {
    /// Builds the structs of `node`; returns the addresses of its schema and array.
    fn build(&mut self, node: Host) -> (*mut ArrowSchema, *mut ArrowArray) {
        let mut child_schemas = vec![];
        let mut child_arrays = vec![];
        let n = node.children.len() as i64;
        for child in node.children {
            let (s, a) = self.build(child);
            child_schemas.push(s);
            child_arrays.push(a);
        }
        let (dict_schema, dict_array) =
            node.dictionary.map_or((ptr::null_mut(), ptr::null_mut()), |d| self.build(*d));
        let format = CString::new(node.format).unwrap();
        let name = CString::new(node.name).unwrap();
        let mut schema = Box::new(ArrowSchema {
            format: format.as_ptr(),
            name: name.as_ptr(),
            metadata: node.metadata.as_ref().map_or(ptr::null(), |m| m.as_ptr().cast()),
            flags: node.flags,
            n_children: n,
            children: child_schemas.as_mut_ptr(),
            dictionary: dict_schema,
            ..ArrowSchema::EMPTY
        });
        let mut buffers = node.buffers;
        let mut array = Box::new(ArrowArray {
            length: node.length,
            null_count: node.null_count,
            offset: node.offset,
            n_buffers: buffers.len() as i64,
            n_children: n,
            buffers: buffers.as_mut_ptr(),
            children: child_arrays.as_mut_ptr(),
            dictionary: dict_array,
            ..ArrowArray::EMPTY
        });
        let pointers = (&mut *schema as *mut ArrowSchema, &mut *array as *mut ArrowArray);
        self.strings.extend([format, name]);
        self.metadata.extend(node.metadata);
        self.schemas.push(schema);
        self.arrays.push(array);
        self.schema_pointers.push(child_schemas);
        self.array_pointers.push(child_arrays);
        self.buffers.push(buffers);
        pointers
    }
}

/// A batch of `rows` rows (struct offset `offset`) over these columns.
fn input(rows: i64, offset: i64, columns: Vec<Host>) -> (Structs, (usize, usize)) {
    let mut batch = host("+s", "", rows, vec![ptr::null()]);
    batch.offset = offset;
    batch.flags = 0;
    batch.children = columns;
    let mut structs = Structs::default();
    let (s, a) = structs.build(batch);
    (structs, (s as usize, a as usize))
}

fn read(input: &(Structs, (usize, usize))) -> Result<Batch<'_>> {
    read_batch((input.1).0, (input.1).1)
}

fn addr<T>(v: &[T]) -> *const c_void {
    v.as_ptr().cast()
}

fn column(
    format: &'static str,
    name: &'static str,
    len: i64,
    offset: i64,
    nulls: i64,
    buffers: Vec<*const c_void>,
) -> Host {
    Host { offset, null_count: nulls, ..host(format, name, len, buffers) }
}

#[test]
fn int64_with_offsets_and_bit_offset_validity() {
    let values: Vec<i64> = (0..16).collect();
    // Slots 3.. (child offset 1 + struct offset 2); slot 4 and 7 null.
    let validity: Vec<u8> = vec![0b0110_1111, 0xFF];
    let buffers = vec![addr(&validity), addr(&values)];
    let input = input(5, 2, vec![column("l", "x", 10, 1, 2, buffers)]);
    let batch = read(&input).unwrap();
    assert_eq!((batch.num_rows(), batch.num_columns()), (5, 1));
    let col = batch.column_by_name("x").unwrap();
    assert_eq!((col.null_count(), col.is_nullable(), col.len()), (2, true, 5));
    let view = col.primitive::<i64>().unwrap();
    assert_eq!(view.iter().collect::<Vec<_>>(), [Some(3), None, Some(5), Some(6), None]);
    assert_eq!(view.values(), &[3, 4, 5, 6, 7]);
    assert!(view.is_null(1) && view.is_valid(0));
    let array = col.array();
    assert_eq!((array.offset(), array.len(), array.declared_null_count()), (3, 5, None));
    assert_eq!(array.buffer(1).unwrap().len(), 11 * 8);
}

#[test]
fn null_validity_pointer_means_no_nulls() {
    let values: Vec<f64> = vec![1.5, 2.5, 3.5];
    let buffers = vec![ptr::null(), addr(&values)];
    let input = input(2, 0, vec![column("g", "f", 2, 1, 0, buffers)]);
    let batch = read(&input).unwrap();
    let view = batch.column(0).unwrap().primitive::<f64>().unwrap();
    assert_eq!(view.iter().collect::<Vec<_>>(), [Some(2.5), Some(3.5)]);
}

#[test]
fn bool_with_bit_offset() {
    let values: Vec<u8> = vec![0b1010_0000, 0b0000_0001];
    let validity: Vec<u8> = vec![0b1011_1111, 0xFF];
    let buffers = vec![addr(&validity), addr(&values)];
    let input = input(5, 0, vec![column("b", "b", 5, 5, 1, buffers)]);
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
    let input = input(4, 0, vec![column("u", "s", 4, 1, 1, buffers)]);
    let batch = read(&input).unwrap();
    let view = batch.column(0).unwrap().utf8().unwrap();
    assert_eq!(view.len(), 4);
    assert_eq!(view.iter().collect::<Vec<_>>(), [Some("héllo"), None, Some("∂"), Some("wörld")]);
    let bin = batch.column(0).unwrap().binary().unwrap_err();
    assert_eq!(bin.message(), "column 0 ('s') is utf8, expected binary");
}

#[test]
fn binary_and_invalid_utf8() {
    let data: Vec<u8> = vec![0xFF, 0xC3, 0xA9];
    let offsets: Vec<i32> = vec![0, 1, 3];
    let buffers = vec![ptr::null(), addr(&offsets), addr(&data)];
    let input = self::input(2, 0, vec![column("z", "z", 2, 0, 0, buffers.clone())]);
    let batch = read(&input).unwrap();
    let view = batch.column(0).unwrap().binary().unwrap();
    assert_eq!(view.iter().collect::<Vec<_>>(), [Some(&[0xFF][..]), Some(&[0xC3, 0xA9][..])]);

    let input = self::input(2, 0, vec![column("u", "u", 2, 0, 0, buffers)]);
    let err = read(&input).unwrap().column(0).unwrap().utf8().unwrap_err();
    assert!(err.message().starts_with("column 0 ('u') holds invalid UTF-8"), "{err}");
    assert_eq!(err.status(), 1);

    let offsets: Vec<i32> = vec![1, 2, 3];
    let buffers = vec![ptr::null(), addr(&offsets), addr(&data)];
    let input = self::input(2, 0, vec![column("u", "u", 2, 0, 0, buffers)]);
    let err = read(&input).unwrap().column(0).unwrap().utf8().unwrap_err();
    assert_eq!(err.message(), "column 0 ('u') has an offset (2) inside a UTF-8 character");

    let offsets: Vec<i32> = vec![0, 2, 1];
    let buffers = vec![ptr::null(), addr(&offsets), addr(&data)];
    let input = self::input(2, 0, vec![column("z", "z", 2, 0, 0, buffers)]);
    let err = read(&input).unwrap().column(0).unwrap().binary().unwrap_err();
    assert_eq!(err.message(), "column 0 ('z') has negative or decreasing offsets");
}

#[test]
fn type_and_shape_errors() {
    let values: Vec<i32> = vec![1, 2];
    let buffers = vec![ptr::null(), addr(&values)];
    let input = self::input(2, 0, vec![column("i", "x", 2, 0, 0, buffers.clone())]);
    let err = read(&input).unwrap().column(0).unwrap().primitive::<i64>().unwrap_err();
    assert_eq!(err.message(), "column 0 ('x') is int32, expected int64");

    let input = self::input(3, 0, vec![column("i", "x", 2, 0, 0, buffers.clone())]);
    assert_eq!(read(&input).err().unwrap().message(), "column 0 ('x') has 2 values for 3 rows");
    let input = self::input(2, 0, vec![column("tX", "t", 2, 0, 0, buffers.clone())]);
    let err = read(&input).err().unwrap();
    assert_eq!(err.message(), "column 0 ('t') has an unknown or malformed format 'tX'");
    let input = self::input(2, 0, vec![column("i", "x", 2, 0, 0, vec![ptr::null()])]);
    assert_eq!(read(&input).err().unwrap().message(), "column 0 ('x') has 1 buffers, expected 2");
    let input = self::input(2, 0, vec![column("i", "x", 2, 0, 1, buffers.clone())]);
    assert_eq!(
        read(&input).err().unwrap().message(),
        "column 0 ('x') has a null count of 1 but no validity bitmap"
    );
    let input = self::input(2, 0, vec![column("i", "x", 2, 0, 0, vec![ptr::null(), ptr::null()])]);
    assert_eq!(
        read(&input).err().unwrap().message(),
        "column 0 ('x') has a null buffer 1, which must hold 8 bytes"
    );
    let input = self::input(2, 0, vec![column("i", "x", -1, 0, 0, buffers)]);
    assert_eq!(read(&input).err().unwrap().message(), "column 0 ('x') has length -1");
    assert!(read_batch(0, 0).is_err());
}

#[test]
fn zero_rows_and_zero_columns() {
    let input = input(0, 0, vec![]);
    let batch = read(&input).unwrap();
    assert_eq!((batch.num_rows(), batch.num_columns()), (0, 0));
    assert!(batch.column(0).is_err());
    assert!(batch.metadata().is_empty());
}

#[test]
fn nested_input_with_metadata_and_dictionary() {
    // A struct column at struct offset 1 of { a: int32, d: dictionary<int8, utf8> }, with
    // field and batch metadata; the batch offset 1 applies to the column, whose offset
    // (1 + 1) applies to its children.
    let ints: Vec<i32> = vec![0, 0, 10, 20, 30];
    let keys: Vec<i8> = vec![0, 0, 1, 0, 1];
    let dict_offsets: Vec<i32> = vec![0, 1, 3];
    let dict_data = b"abc".to_vec();
    let meta = Metadata::new().with("k", "v").encode();
    let mut a = host("i", "a", 5, vec![ptr::null(), addr(&ints)]);
    a.metadata = meta.clone();
    let mut d = host("c", "d", 5, vec![ptr::null(), addr(&keys)]);
    d.flags = 1; // ordered, not nullable
    d.dictionary =
        Some(Box::new(host("u", "", 2, vec![ptr::null(), addr(&dict_offsets), addr(&dict_data)])));
    let mut s = host("+s", "s", 4, vec![ptr::null()]);
    s.offset = 1;
    s.children = vec![a, d];
    let mut batch = host("+s", "", 2, vec![ptr::null()]);
    batch.offset = 1;
    batch.flags = 0;
    batch.metadata = Metadata::new().with("schema", "yes").encode();
    batch.children = vec![s];
    let mut structs = Structs::default();
    let (schema, array) = structs.build(batch);
    let batch = read_batch(schema as usize, array as usize).unwrap();
    assert_eq!(batch.metadata().get("schema"), Some("yes"));
    let column = batch.column(0).unwrap();
    let expected = DataType::Struct(vec![
        Field::new("a", DataType::Int32, true).with_metadata(Metadata::new().with("k", "v")),
        Field::new(
            "d",
            DataType::Dictionary {
                index: Box::new(DataType::Int8),
                value: Box::new(Field::new("", DataType::Utf8, true)),
                ordered: true,
            },
            false,
        ),
    ]);
    assert_eq!(column.field().data_type(), &expected);
    let s = column.array().as_struct().unwrap();
    assert_eq!((s.len(), column.array().offset()), (2, 2));
    let a = s.column(0).as_primitive::<i32>().unwrap();
    assert_eq!(a.values(), &[10, 20]);
    let d = s.column_by_name("d").unwrap().as_dictionary().unwrap();
    assert!(d.is_ordered());
    let words: Vec<_> = d.iter().map(|v| v.unwrap().as_utf8().unwrap().value(0)).collect();
    assert_eq!(words, ["bc", "a"]);
    assert_eq!(s.column(1).path(), "column 0 ('s').d");
    assert_eq!(s.column(1).dictionary().unwrap().path(), "column 0 ('s').d dictionary");
    let err = s.column_by_name("zz").unwrap_err();
    assert_eq!(err.message(), "column 0 ('s') has no field named 'zz'");
}

#[test]
fn malformed_nested_input() {
    let keys: Vec<i8> = vec![0, 5];
    let dict_values: Vec<i8> = vec![7];
    let mut d = host("c", "d", 2, vec![ptr::null(), addr(&keys)]);
    d.dictionary = Some(Box::new(host("c", "", 1, vec![ptr::null(), addr(&dict_values)])));
    let input = self::input(2, 0, vec![d]);
    let batch = read(&input).unwrap();
    let err = batch.column(0).unwrap().array().as_dictionary().unwrap_err();
    assert_eq!(
        err.message(),
        "column 0 ('d') has a dictionary index at slot 1 outside its 1 values"
    );

    let ints: Vec<i32> = vec![1];
    let mut s = host("+s", "s", 2, vec![ptr::null()]);
    s.children = vec![host("i", "a", 1, vec![ptr::null(), addr(&ints)])];
    let input = self::input(2, 0, vec![s]);
    let err = read(&input).unwrap_err();
    assert_eq!(err.message(), "column 0 ('s') has a child 'a' of 1 slots, which must hold 2");

    let offsets: Vec<i32> = vec![0, 3];
    let mut l = host("+l", "l", 1, vec![ptr::null(), addr(&offsets)]);
    l.children = vec![host("i", "item", 1, vec![ptr::null(), addr(&ints)])];
    let input = self::input(1, 0, vec![l]);
    let err = read(&input).unwrap_err();
    assert_eq!(err.message(), "column 0 ('l') has a child 'item' of 1 slots, which must hold 3");

    let mut u = host("+ud:1", "u", 1, vec![addr(&keys), addr(&ints)]);
    u.children = vec![];
    let input = self::input(1, 0, vec![u]);
    assert_eq!(
        read(&input).unwrap_err().message(),
        "column 0 ('u') has 0 children, its type takes 1"
    );

    let mut m = host("+m", "m", 0, vec![ptr::null(), addr(&offsets)]);
    m.children = vec![host("i", "entries", 0, vec![ptr::null(), addr(&ints)])];
    let input = self::input(0, 0, vec![m]);
    assert_eq!(
        read(&input).unwrap_err().message(),
        "column 0 ('m') is a map of int32, expected a struct of 2"
    );

    let mut bad_meta = host("i", "x", 1, vec![ptr::null(), addr(&ints)]);
    bad_meta.metadata = Some(vec![1, 0, 0, 0, 2, 0, 0, 0, 0xFF, 0xFE, 0, 0, 0, 0]);
    let input = self::input(1, 0, vec![bad_meta]);
    assert_eq!(
        read(&input).unwrap_err().message(),
        "column 0 ('x') metadata has a key or value that is not UTF-8"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let mut node = host("n", "leaf", 0, vec![]);
    for _ in 0..70 {
        let mut parent = host("+s", "s", 0, vec![ptr::null()]);
        parent.children = vec![node];
        node = parent;
    }
    let input = self::input(0, 0, vec![node]);
    let err = read(&input).unwrap_err();
    assert!(err.message().ends_with("is nested deeper than 64 levels"), "{err}");
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
    batch.write_to(&mut schema as *mut _ as usize, &mut array as *mut _ as usize).unwrap();
    assert!(schema.release.is_some() && array.release.is_some());
    {
        let batch = crate::import::import_batch(SchemaRef(&schema), ArrayRef(&array)).unwrap();
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

/// Reads `n` pointers of a pointer array (empty for a null one).
fn pointers<T>(p: *mut *mut T, n: i64) -> Vec<*mut T> {
    if n == 0 {
        assert!(p.is_null());
        return vec![];
    }
    // SAFETY (test): `export` wrote `n` pointers there.
    unsafe { slice::from_raw_parts(p, n as usize).to_vec() }
}

fn text(p: *const c_char) -> String {
    // SAFETY (test): `export` wrote a C string there.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
}

#[test]
fn export_writes_the_c_data_layout_of_types_md() {
    use crate::{ArrayBuilder, Utf8ViewBuilder};
    let keys: PrimitiveBuilder<i16> = [Some(1), None, Some(0)].into_iter().collect();
    let words: Utf8Builder = [Some("x"), Some("y")].into_iter().collect();
    let dict = ArrayBuilder::new_dictionary(keys.into(), words.into(), true).unwrap();
    let views: Utf8ViewBuilder =
        [Some("a string of more than twelve bytes"), Some("short"), None].into_iter().collect();
    let ints: PrimitiveBuilder<i32> = [Some(1), Some(2), Some(3)].into_iter().collect();
    let union = ArrayBuilder::new_dense_union(vec![(7, ints.into())], &[7, 7, 7], &[2, 1, 0]);
    let ends: PrimitiveBuilder<i64> = [Some(3)].into_iter().collect();
    let ree = ArrayBuilder::new_run_end_encoded(ends.into(), ArrayBuilder::new_null(1));
    let k: Utf8Builder = [Some("k")].into_iter().collect();
    let v: PrimitiveBuilder<i8> = [None].into_iter().collect();
    let map = ArrayBuilder::new_map(k.into(), v.into(), [Some(1), None, Some(0)], true);
    let batch = OutputBatch::new(3)
        .with_array(dict.with_name("d").with_metadata(Metadata::new().with("a", "b")))
        .and_then(|b| b.with_column("v", true, views))
        .and_then(|b| b.with_column("u", true, union.unwrap()))
        .and_then(|b| b.with_column("r", true, ree.unwrap()))
        .and_then(|b| b.with_column("m", true, map.unwrap()))
        .unwrap()
        .with_metadata(Metadata::new().with("schema", "level"));
    let (mut schema, mut array) = (ArrowSchema::EMPTY, ArrowArray::EMPTY);
    let (field, data) = batch.into_root();
    export(&field, data, &mut schema, &mut array);
    assert_eq!(text(schema.format), "+s");
    assert!(!schema.metadata.is_null() && schema.name.is_null() || text(schema.name).is_empty());
    let schemas = pointers(schema.children, schema.n_children);
    let arrays = pointers(array.children, array.n_children);
    // SAFETY (test): the pointers point into the exported trees, alive until released.
    let (s, a): (Vec<&ArrowSchema>, Vec<&ArrowArray>) =
        unsafe { (schemas.iter().map(|p| &**p).collect(), arrays.iter().map(|p| &**p).collect()) };
    // Dictionary: the index format, ordered + nullable flags, both dictionary pointers.
    assert_eq!((text(s[0].format), s[0].flags, a[0].n_buffers), ("s".into(), 3, 2));
    assert!(!s[0].dictionary.is_null() && !a[0].dictionary.is_null());
    assert!(!s[0].metadata.is_null());
    // SAFETY (test): as above.
    let (ds, da) = unsafe { (&*s[0].dictionary, &*a[0].dictionary) };
    assert_eq!((text(ds.format), da.length, da.n_buffers), ("u".into(), 2, 3));
    // utf8_view: validity, views, one variadic buffer, the sizes buffer.
    assert_eq!((text(s[1].format), a[1].n_buffers, a[1].null_count), ("vu".into(), 4, 1));
    let buffers = pointers(a[1].buffers as *mut *mut c_void, a[1].n_buffers);
    // SAFETY (test): the sizes buffer holds one i64.
    let size = unsafe { *(buffers[3] as *const i64) };
    assert_eq!(size, 34);
    // Dense union: the type ids in the format, type ids and offsets, no validity.
    assert_eq!((text(s[2].format), a[2].n_buffers, a[2].n_children), ("+ud:7".into(), 2, 1));
    // Run-end encoded: no buffers (a null pointer array), two children.
    assert_eq!((text(s[3].format), a[3].n_buffers, a[3].n_children), ("+r".into(), 0, 2));
    assert!(a[3].buffers.is_null() && a[3].length == 3);
    // Map: keys sorted and nullable; the entries struct of key and value.
    assert_eq!((text(s[4].format), s[4].flags), ("+m".into(), 6));
    // SAFETY (test): as above.
    let entries = unsafe { &*pointers(s[4].children, s[4].n_children)[0] };
    assert_eq!(
        (text(entries.format), text(entries.name), entries.flags),
        ("+s".into(), "entries".into(), 0)
    );
    wf_release(&mut schema, &mut array);
    assert!(schema.release.is_none() && array.release.is_none());
}

#[test]
fn map_entry_writes_output_or_reports_the_error() {
    fn double(input: &Batch) -> Result<OutputBatch> {
        let x = input.column(0)?.primitive::<i32>()?;
        let out: crate::PrimitiveBuilder<i32> = x.iter().map(|v| v.map(|v| v * 2)).collect();
        OutputBatch::new(input.num_rows()).with_column("y", true, out)
    }
    let call = |input: &(Structs, (usize, usize)), f: fn(&Batch<'_>) -> Result<OutputBatch>| {
        let (mut schema, mut array) = (ArrowSchema::EMPTY, ArrowArray::EMPTY);
        let status = crate::entry::map_entry(
            (input.1).0,
            (input.1).1,
            &mut schema as *mut _ as usize,
            &mut array as *mut _ as usize,
            f,
        );
        let output = crate::import::import_batch(SchemaRef(&schema), ArrayRef(&array))
            .map(|b| format!("{:?}", b.columns[0].primitive::<i32>()));
        wf_release(&mut schema, &mut array);
        (status, output.map_err(|_| last_error()))
    };
    let values: Vec<i32> = vec![1, 2, 3];
    let good = input(3, 0, vec![column("i", "x", 3, 0, 0, vec![ptr::null(), addr(&values)])]);
    assert_eq!(call(&good, double), (0, Ok("Ok([Some(2), Some(4), Some(6)])".to_string())));
    let wrong = input(2, 0, vec![column("s", "x", 3, 0, 0, vec![ptr::null(), addr(&values)])]);
    assert_eq!(
        call(&wrong, double),
        (1, Err("column 0 ('x') is int16, expected int32".to_string()))
    );
    let short = |_: &Batch| Ok(OutputBatch::new(1));
    let err = "the function returned 1 rows for 3 input rows".to_string();
    assert_eq!(call(&good, short), (2, Err(err)));
}

#[test]
fn reports_abi_1_2() {
    assert_eq!((wf_abi_version() >> 16, wf_abi_version() & 0xFFFF), (1, 2));
    assert_eq!(wf_abi_version(), 65538);
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
