//! Reads a host batch (C Data structs, through the checked accessors of `ffi`) into parsed
//! [`Field`]s and [`Node`]s of bounds-checked buffer slices. Everything that sizes a slice is
//! checked here, per node and without reading the data (`layout`); what depends on every value
//! (offsets increasing, UTF-8, union ids, dictionary indices, run ends) is checked by the typed
//! views that rely on it.

use crate::ffi::{ArrayRef, SchemaRef};
use crate::layout::{check_children, check_null_count, fetch_buffers, Layout};
use crate::types::{parse_format, Format, FLAG_NULLABLE};
use crate::view::{Batch, Column, Node};
use crate::{DataType, Error, Field, Metadata, Result};

/// Deepest nesting of types accepted (also what stops pointer cycles).
const MAX_DEPTH: usize = 64;

fn malformed(what: String) -> Error {
    Error::invalid_input(format!("malformed input: {what}"))
}

fn count(value: i64, what: &str) -> std::result::Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("has {what} {value}"))
}

/// Reads the host's input batch at these addresses (ABI §5.1, §5.3). The result borrows host
/// memory: it must be dropped before the entry point returns.
pub(crate) fn read_batch<'a>(schema: usize, array: usize) -> Result<Batch<'a>> {
    let (schema, array) = crate::ffi::input_at(schema, array)?;
    import_batch(schema, array)
}

pub(crate) fn import_batch<'a>(schema: SchemaRef<'a>, array: ArrayRef<'a>) -> Result<Batch<'a>> {
    let batch = |e: String| malformed(format!("the batch {e}"));
    let format = schema.format().map_err(batch)?;
    if format != "+s" {
        return Err(malformed(format!("the batch has format '{format}', expected '+s'")));
    }
    let metadata = read_metadata(schema).map_err(batch)?;
    let schemas = schema.children().map_err(batch)?;
    let arrays = array.children().map_err(batch)?;
    if schemas.len() != arrays.len() {
        return Err(malformed("n_children differs in schema and array".to_string()));
    }
    let num_rows = count(array.length(), "length").map_err(batch)?;
    let offset = count(array.offset(), "offset").map_err(batch)?;
    let needed = offset.checked_add(num_rows).ok_or_else(|| batch("is too long".to_string()))?;
    let mut columns = Vec::with_capacity(schemas.len());
    for (index, (schema, array)) in schemas.into_iter().zip(arrays).enumerate() {
        let name = schema.name().map_err(|e| malformed(format!("column {index} {e}")))?;
        let path = format!("column {index} ('{name}')");
        let field = import_field(schema, &path, 1)?;
        let node = import_node(&field, array, path)?;
        if node.len < needed {
            return Err(node.error(format!("has {} values for {num_rows} rows", node.len)));
        }
        let offset = node.offset + offset;
        columns.push(Column { index, name, field, node, offset, len: num_rows });
    }
    Ok(Batch { num_rows, columns, metadata })
}

fn read_metadata(schema: SchemaRef<'_>) -> std::result::Result<Metadata, String> {
    match schema.metadata()? {
        Some(bytes) => Metadata::decode(bytes),
        None => Ok(Metadata::new()),
    }
}

/// The path of a child field in error messages: `parent.name` or, below lists and maps
/// (`bracket`), `parent[name]`.
pub(crate) fn child_path(parent: &str, bracket: bool, name: &str) -> String {
    if bracket {
        format!("{parent}[{name}]")
    } else {
        format!("{parent}.{name}")
    }
}

fn import_field(schema: SchemaRef<'_>, path: &str, depth: usize) -> Result<Field> {
    let fail = |what: String| Error::invalid_input(format!("{path} {what}"));
    if depth > MAX_DEPTH {
        return Err(fail(format!("is nested deeper than {MAX_DEPTH} levels")));
    }
    let format = parse_format(schema.format().map_err(fail)?).map_err(fail)?;
    let name = schema.name().map_err(fail)?;
    let metadata = read_metadata(schema).map_err(fail)?;
    let mut children = Vec::new();
    for child in schema.children().map_err(fail)? {
        let child_name = child.name().map_err(fail)?;
        let bracket = !matches!(format, Format::Struct | Format::Union(..) | Format::RunEndEncoded);
        children.push(import_field(child, &child_path(path, bracket, child_name), depth + 1)?);
    }
    let dictionary = match schema.dictionary().map_err(fail)? {
        Some(d) => Some(import_field(d, &format!("{path} dictionary"), depth + 1)?),
        None => None,
    };
    let flags = schema.flags();
    let data_type =
        DataType::from_parts(format.clone(), flags, children, dictionary).map_err(fail)?;
    Ok(Field::new(name, data_type, flags & FLAG_NULLABLE != 0).with_metadata(metadata))
}

/// The node of `field` (whose depth `import_field` has bounded).
// Kept small: compiled to Java bytecode by the host, a function over HotSpot's 8,000-byte limit
// is never JIT-compiled and runs interpreted on every batch. With its helpers inlined this one
// compiled to 10,416 bytes, so the layout checks it calls are `#[inline(never)]`.
fn import_node<'a>(field: &Field, array: ArrayRef<'a>, path: String) -> Result<Node<'a>> {
    let fail = |what: String| Error::invalid_input(format!("{path} {what}"));
    let data_type = field.data_type();
    let layout = Layout::of(data_type);
    let len = count(array.length(), "length").map_err(fail)?;
    let offset = count(array.offset(), "offset").map_err(fail)?;
    let end = offset.checked_add(len).ok_or_else(|| fail("is too long".to_string()))?;
    let pointers = array.buffers().map_err(fail)?;
    let buffers = fetch_buffers(layout, end, pointers.len(), |i, bytes| pointers.get(i, bytes))
        .map_err(fail)?;
    let has_bitmap = layout.has_validity() && buffers[0].is_some();
    let null_count = check_null_count(layout, array.null_count(), len, has_bitmap).map_err(fail)?;

    let n = data_type.num_children();
    if array.n_children() != n as i64 {
        return Err(fail(format!("has {} children, its type takes {n}", array.n_children())));
    }
    let bracket = matches!(layout, Layout::List(_) | Layout::FixedList(_) | Layout::ListView(_));
    let mut children = Vec::with_capacity(n);
    for (child_field, child) in data_type.children().zip(array.children().map_err(fail)?) {
        let child_path = child_path(&path, bracket, child_field.name());
        children.push(import_node(child_field, child, child_path)?);
    }
    let lens: Vec<(&str, usize)> =
        data_type.children().zip(&children).map(|(f, c)| (f.name(), c.len)).collect();
    check_children(layout, end, &buffers, &lens).map_err(fail)?;
    let dictionary = match (data_type.dictionary(), array.dictionary().map_err(fail)?) {
        (Some(value), Some(dictionary)) => {
            let path = format!("{path} dictionary");
            Some(Box::new(import_node(value, dictionary, path)?))
        }
        (None, None) => None,
        (Some(_), None) => return Err(fail("has a dictionary type but no dictionary".to_string())),
        (None, Some(_)) => return Err(fail("has a dictionary but no dictionary type".to_string())),
    };
    Ok(Node { path, len, offset, null_count, buffers, children, dictionary })
}
