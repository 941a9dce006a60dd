//! Constructors of the generic [`ArrayBuilder`] for the null type and the types with children
//! or a dictionary, from already built children.

use super::{ArrayBuilder, Buffer, Data, ValidityBuilder};
use crate::layout::{read_index, read_offset, Layout};
use crate::{DataType, Error, Field, Offset, Result, UnionMode};

fn fail<T>(what: String) -> Result<T> {
    Err(Error::execution(what))
}

/// The validity of `len` slots: all valid, or as given.
fn validity_of(len: usize, validity: Option<&[bool]>) -> Result<ValidityBuilder> {
    match validity {
        None => Ok(ValidityBuilder { bitmap: None, len, null_count: 0 }),
        Some(v) if v.len() == len => Ok(ValidityBuilder::from_bools(v)),
        Some(v) => fail(format!("a validity of {} slots for {len} slots", v.len())),
    }
}

/// `builder` named `name` if it has no name yet.
fn default_name(builder: ArrayBuilder, name: &str) -> ArrayBuilder {
    if builder.name().is_empty() {
        builder.with_name(name)
    } else {
        builder
    }
}

fn list_like<O: Offset>(
    values: ArrayBuilder,
    lengths: impl IntoIterator<Item = Option<usize>>,
    make: impl FnOnce(Box<Field>) -> DataType,
) -> Result<ArrayBuilder> {
    let lengths = lengths.into_iter();
    let mut offsets: Vec<O> = Vec::with_capacity(lengths.size_hint().0 + 1);
    offsets.push(O::default());
    let mut validity = ValidityBuilder::default();
    let mut total = 0usize;
    for len in lengths {
        validity.push(len.is_some());
        total = total.saturating_add(len.unwrap_or(0));
        match O::from_usize(total) {
            Some(end) if total <= values.len() => offsets.push(end),
            _ => {
                return fail(format!(
                    "list items of {total}+ values, but the child has {}",
                    values.len()
                ))
            }
        }
    }
    let values = default_name(values, "item");
    let data = validity.finish(vec![Buffer::from_vec(offsets)], vec![values.data]);
    Ok(ArrayBuilder::new(Field::new("", make(Box::new(values.field)), true), data))
}

fn list_view_like<O: Offset>(
    values: ArrayBuilder,
    slots: impl IntoIterator<Item = Option<(usize, usize)>>,
    make: impl FnOnce(Box<Field>) -> DataType,
) -> Result<ArrayBuilder> {
    let (mut offsets, mut sizes) = (Vec::<O>::new(), Vec::<O>::new());
    let mut validity = ValidityBuilder::default();
    for slot in slots {
        validity.push(slot.is_some());
        let (offset, size) = slot.unwrap_or((0, 0));
        let end = offset.checked_add(size).filter(|&end| end <= values.len());
        match (end, O::from_usize(offset), O::from_usize(size)) {
            (Some(_), Some(o), Some(s)) => {
                offsets.push(o);
                sizes.push(s);
            }
            _ => {
                return fail(format!(
                    "a list view item at {offset} of {size} values, but the child has {}",
                    values.len()
                ))
            }
        }
    }
    let values = default_name(values, "item");
    let buffers = vec![Buffer::from_vec(offsets), Buffer::from_vec(sizes)];
    let data = validity.finish(buffers, vec![values.data]);
    Ok(ArrayBuilder::new(Field::new("", make(Box::new(values.field)), true), data))
}

fn union(
    mode: UnionMode,
    members: Vec<(i8, ArrayBuilder)>,
    type_ids: &[i8],
    offsets: Option<&[i32]>,
) -> Result<ArrayBuilder> {
    let len = type_ids.len();
    let declared: Vec<i8> = members.iter().map(|(id, _)| *id).collect();
    let distinct = declared.iter().enumerate().all(|(i, id)| !declared[..i].contains(id));
    if declared.iter().any(|&id| id < 0) || !distinct {
        return fail(format!("union type ids {declared:?}: they must be distinct, in 0..=127"));
    }
    for (i, id) in type_ids.iter().enumerate() {
        let child = match declared.iter().position(|d| d == id) {
            Some(child) => &members[child].1,
            None => return fail(format!("union slot {i} has the undeclared type id {id}")),
        };
        let need = match offsets {
            None => len,
            Some(offsets) => match offsets.get(i).map(|&o| usize::try_from(o)) {
                Some(Ok(o)) => o + 1,
                _ => return fail(format!("union slot {i} has no valid offset")),
            },
        };
        if child.len() < need {
            return fail(format!("union slot {i} needs {need} values in child {id}"));
        }
    }
    if offsets.map_or(false, |o| o.len() != len) {
        return fail(format!("{} union offsets for {len} slots", offsets.unwrap_or(&[]).len()));
    }
    let mut buffers = vec![Some(Buffer::from_vec(type_ids.to_vec()))];
    buffers.extend(offsets.map(|o| Some(Buffer::from_vec(o.to_vec()))));
    let (fields, children): (Vec<Field>, Vec<Data>) =
        members.into_iter().map(|(_, m)| (m.field, m.data)).unzip();
    let data_type = DataType::Union { mode, type_ids: declared, fields };
    let data = Data { len, offset: 0, null_count: Some(0), buffers, children, dictionary: None };
    Ok(ArrayBuilder::new(Field::new("", data_type, true), data))
}

impl ArrayBuilder {
    /// A null-type array of `len` slots, all null.
    pub fn new_null(len: usize) -> ArrayBuilder {
        let data = Data {
            len,
            offset: 0,
            null_count: Some(len),
            buffers: vec![],
            children: vec![],
            dictionary: None,
        };
        ArrayBuilder::new(Field::new("", DataType::Null, true), data)
    }

    /// A list (`i32` offsets) whose item `i` has `lengths[i]` values of `values`, in order, or is
    /// null (`None`). The child is named `item` unless `values` has a name.
    pub fn new_list(
        values: ArrayBuilder,
        lengths: impl IntoIterator<Item = Option<usize>>,
    ) -> Result<ArrayBuilder> {
        list_like::<i32>(values, lengths, DataType::List)
    }

    /// A large list (`i64` offsets); see [`ArrayBuilder::new_list`].
    pub fn new_large_list(
        values: ArrayBuilder,
        lengths: impl IntoIterator<Item = Option<usize>>,
    ) -> Result<ArrayBuilder> {
        list_like::<i64>(values, lengths, DataType::LargeList)
    }

    /// A fixed-size list of `len` slots of `size` values each (slot `i` is values
    /// `i * size .. (i + 1) * size`), with the given validity (`None`: no nulls).
    pub fn new_fixed_size_list(
        values: ArrayBuilder,
        size: usize,
        len: usize,
        validity: Option<&[bool]>,
    ) -> Result<ArrayBuilder> {
        let need = size.checked_mul(len).filter(|&n| n <= values.len());
        if need.is_none() {
            return fail(format!(
                "{len} lists of {size} values, but the child has {}",
                values.len()
            ));
        }
        let validity = validity_of(len, validity)?;
        let values = default_name(values, "item");
        let data = validity.finish(vec![], vec![values.data]);
        let data_type = DataType::FixedSizeList(Box::new(values.field), size);
        Ok(ArrayBuilder::new(Field::new("", data_type, true), data))
    }

    /// A list view (`i32` offsets and sizes): item `i` is `slots[i] = (offset, size)` of
    /// `values` (ranges may overlap or come in any order), or null (`None`).
    pub fn new_list_view(
        values: ArrayBuilder,
        slots: impl IntoIterator<Item = Option<(usize, usize)>>,
    ) -> Result<ArrayBuilder> {
        list_view_like::<i32>(values, slots, DataType::ListView)
    }

    /// A large list view (`i64` offsets and sizes); see [`ArrayBuilder::new_list_view`].
    pub fn new_large_list_view(
        values: ArrayBuilder,
        slots: impl IntoIterator<Item = Option<(usize, usize)>>,
    ) -> Result<ArrayBuilder> {
        list_view_like::<i64>(values, slots, DataType::LargeListView)
    }

    /// A map whose item `i` has `lengths[i]` entries (or is null): the `entries` struct of
    /// `keys` (named `key`, not nullable, without nulls) and `values` (named `value`), which
    /// have one entry per slot.
    pub fn new_map(
        keys: ArrayBuilder,
        values: ArrayBuilder,
        lengths: impl IntoIterator<Item = Option<usize>>,
        keys_sorted: bool,
    ) -> Result<ArrayBuilder> {
        if keys.null_count() != Some(0) {
            return fail("map keys must not be null".to_string());
        }
        let entries = ArrayBuilder::new_struct(
            keys.len(),
            vec![keys.with_name("key").with_nullable(false), values.with_name("value")],
            None,
        )?;
        let entries = entries.with_name("entries").with_nullable(false);
        list_like::<i32>(entries, lengths, |f| DataType::Map(f, keys_sorted))
    }

    /// A struct of `len` slots over `columns` (each of at least `len` values), with the given
    /// validity (`None`: no nulls). The fields are the columns' names, types, nullability and
    /// metadata.
    pub fn new_struct(
        len: usize,
        columns: Vec<ArrayBuilder>,
        validity: Option<&[bool]>,
    ) -> Result<ArrayBuilder> {
        if let Some(short) = columns.iter().find(|c| c.len() < len) {
            return fail(format!(
                "struct field '{}' has {} values for {len}",
                short.name(),
                short.len()
            ));
        }
        let validity = validity_of(len, validity)?;
        let (fields, children): (Vec<Field>, Vec<Data>) =
            columns.into_iter().map(|c| (c.field, c.data)).unzip();
        let data = validity.finish(vec![], children);
        Ok(ArrayBuilder::new(Field::new("", DataType::Struct(fields), true), data))
    }

    /// A sparse union: `members` are `(type id, child)` (every child at least as long as the
    /// union), slot `i` is slot `i` of the member whose id is `type_ids[i]`.
    pub fn new_sparse_union(
        members: Vec<(i8, ArrayBuilder)>,
        type_ids: &[i8],
    ) -> Result<ArrayBuilder> {
        union(UnionMode::Sparse, members, type_ids, None)
    }

    /// A dense union: `members` are `(type id, child)`, slot `i` is slot `offsets[i]` of the
    /// member whose id is `type_ids[i]`.
    pub fn new_dense_union(
        members: Vec<(i8, ArrayBuilder)>,
        type_ids: &[i8],
        offsets: &[i32],
    ) -> Result<ArrayBuilder> {
        union(UnionMode::Dense, members, type_ids, Some(offsets))
    }

    /// A dictionary-encoded array: `indices` (an integer array; its field becomes the
    /// dictionary-encoded field) into `values` (the dictionary, any type). Every valid index must
    /// be in `[0, values.len())`.
    pub fn new_dictionary(
        indices: ArrayBuilder,
        values: ArrayBuilder,
        ordered: bool,
    ) -> Result<ArrayBuilder> {
        let index = indices.data_type().clone();
        let width = match (index.is_integer(), Layout::of(&index)) {
            (true, Layout::Fixed(width)) => width,
            _ => return fail(format!("dictionary indices of type {index}, expected an integer")),
        };
        let signed =
            matches!(index, DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64);
        let keys = indices.data.fixed_values(width);
        let validity = indices.data.validity(Layout::of(&index));
        for i in 0..indices.len() {
            let valid = validity.map_or(true, |v| v.get(i));
            if valid && read_index(keys, width, signed, i).map_or(true, |k| k >= values.len()) {
                return fail(format!(
                    "dictionary index at slot {i} outside the {} values",
                    values.len()
                ));
            }
        }
        let ArrayBuilder { field, mut data } = indices;
        data.dictionary = Some(Box::new(values.data));
        let data_type =
            DataType::Dictionary { index: Box::new(index), value: Box::new(values.field), ordered };
        let field = Field::new(field.name(), data_type, field.is_nullable())
            .with_metadata(field.metadata().clone());
        Ok(ArrayBuilder::new(field, data))
    }

    /// A run-end encoded array: `run_ends` (int16, int32 or int64, no nulls, positive, strictly
    /// increasing) end the runs of `values` (one value per run); its length is the last run end.
    /// The children are named `run_ends` and `values`.
    pub fn new_run_end_encoded(
        run_ends: ArrayBuilder,
        values: ArrayBuilder,
    ) -> Result<ArrayBuilder> {
        let width = match run_ends.data_type() {
            DataType::Int16 => 2,
            DataType::Int32 => 4,
            DataType::Int64 => 8,
            other => {
                return fail(format!("run ends of type {other}, expected int16, int32 or int64"))
            }
        };
        let runs = run_ends.len();
        let ends = run_ends.data.fixed_values(width);
        let at = |r| read_offset(ends, width, r);
        let increasing = (0..runs).all(|r| at(r) > if r == 0 { 0 } else { at(r - 1) });
        if run_ends.null_count() != Some(0) || !increasing {
            return fail("run ends must be non-null, positive and increasing".to_string());
        }
        if values.len() < runs {
            return fail(format!("{runs} runs but {} values", values.len()));
        }
        let len = if runs == 0 { 0 } else { at(runs - 1) as usize };
        let run_ends = run_ends.with_name("run_ends").with_nullable(false);
        let values = values.with_name("values");
        let data_type = DataType::RunEndEncoded(Box::new(run_ends.field), Box::new(values.field));
        let data = Data {
            len,
            offset: 0,
            null_count: Some(0),
            buffers: vec![],
            children: vec![run_ends.data, values.data],
            dictionary: None,
        };
        Ok(ArrayBuilder::new(Field::new("", data_type, true), data))
    }
}
