//! [`ArrayBuilder::copy_of`]: a deep copy of any input view; [`ArrayBuilder::from_parts`]: an
//! array from raw C Data parts.

use super::{ArrayBuilder, Buffer, ByteBuf, Data};
use crate::layout::{fetch_buffers, Layout};
use crate::{ArrayView, Error, Field, Result};

/// Copies the data of `view` (its slots, with the same offset), its children and dictionary.
fn copy_data(view: &ArrayView<'_>) -> Result<Data> {
    let layout = Layout::of(view.data_type());
    let fail = |what: String| Error::invalid_input(format!("{} {what}", view.path()));
    let end = view.offset() + view.len();
    let source = view.buffers();
    // The same sizes as the input's, for the view's slots only.
    let buffers = fetch_buffers(layout, end, source.len(), |i, bytes| match source[i] {
        None => Ok(None),
        Some(buffer) => buffer
            .get(..bytes)
            .map(Some)
            .ok_or_else(|| format!("has a buffer {i} of {} bytes for {bytes}", buffer.len())),
    })
    .map_err(fail)?;
    let buffers = buffers
        .into_iter()
        .enumerate()
        .map(|(i, buffer)| match buffer {
            Some(bytes) => Some(Buffer::from_bytes(ByteBuf::from_slice(bytes))),
            None if i == 0 && layout.has_validity() => None,
            // A null pointer the input may have (for no bytes, or the offsets of an empty
            // array): the output gets a real buffer (one zero offset).
            None => Some(Buffer::from_bytes(ByteBuf::zeroed(match (layout, i) {
                (Layout::Var(width) | Layout::List(width), 1) => width,
                _ => 0,
            }))),
        })
        .collect();
    let children = view.children().map(|c| copy_data(&c)).collect::<Result<Vec<_>>>()?;
    let dictionary = match view.dictionary() {
        Some(d) => Some(Box::new(copy_data(&d)?)),
        None => None,
    };
    Ok(Data {
        len: view.len(),
        offset: view.offset(),
        null_count: Some(view.null_count()),
        buffers,
        children,
        dictionary,
    })
}

impl ArrayBuilder {
    /// A deep copy of any view: the same field (name, type, nullability, metadata) and the same
    /// values, buffer for buffer, with the view's offset (a slice keeps the bytes before it),
    /// its children and dictionary. Fails only on malformed input (offsets beyond their data).
    pub fn copy_of(view: &ArrayView<'_>) -> Result<ArrayBuilder> {
        Ok(ArrayBuilder::new(view.field().clone(), copy_data(view)?))
    }

    /// An array from its C Data parts, for layouts the other constructors do not make (offsets
    /// that do not start at 0, list views in any order, shared dictionary slots…): `field` is the
    /// whole type, `buffers` are in C Data order (`None`: a null pointer), `children` and
    /// `dictionary` must have the fields `field`'s type names. The sizes, counts and lengths
    /// are checked as the host checks them; the values are not.
    pub fn from_parts(
        field: Field,
        len: usize,
        offset: usize,
        null_count: Option<usize>,
        buffers: Vec<Option<Vec<u8>>>,
        children: Vec<ArrayBuilder>,
        dictionary: Option<ArrayBuilder>,
    ) -> Result<ArrayBuilder> {
        let fail = |what: String| Err(Error::execution(format!("array {field} {what}")));
        let data_type = field.data_type();
        for (i, child) in children.iter().enumerate() {
            if data_type.child(i) != Some(child.field()) {
                return fail(format!("has a child {} that its type does not name", child.field()));
            }
        }
        if data_type.dictionary() != dictionary.as_ref().map(ArrayBuilder::field) {
            return fail("has a dictionary that its type does not name".to_string());
        }
        let data = Data {
            len,
            offset,
            null_count,
            buffers: buffers
                .into_iter()
                .map(|b| b.map(|b| Buffer::from_bytes(ByteBuf::from_slice(&b))))
                .collect(),
            children: children.into_iter().map(|c| c.data).collect(),
            dictionary: dictionary.map(|d| Box::new(d.data)),
        };
        let builder = ArrayBuilder::new(field.clone(), data);
        match builder.check() {
            Ok(()) => Ok(builder),
            Err(what) => fail(what),
        }
    }
}
