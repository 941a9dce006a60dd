//! The physical layout of each type (`proto-docs/types.md`): its buffers in C Data order, how many
//! bytes each must hold for slots `[0, offset + length)`, and how children relate to the parent.
//! Input, builders and `copy_of` all size and check buffers with these functions.

use crate::types::{DataType, IntervalUnit, UnionMode};

/// The physical layout of one array node (a dictionary-encoded array: of its index type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// No buffers (`n`).
    Null,
    /// Validity, values bitmap.
    Bits,
    /// Validity, values of this many bytes.
    Fixed(usize),
    /// Validity, offsets of this many bytes (4 or 8), data.
    Var(usize),
    /// Validity, 16-byte views, variadic data buffers, `i64` sizes of the variadic buffers.
    View,
    /// Validity, offsets of this many bytes (4 or 8); one child (lists and maps).
    List(usize),
    /// Validity; one child of this many slots per slot.
    FixedList(usize),
    /// Validity, offsets, sizes, of this many bytes each; one child.
    ListView(usize),
    /// Validity; one child per field.
    Struct,
    /// Type ids (and `i32` offsets when dense); one child per member.
    Union(UnionMode),
    /// No buffers; run ends and values.
    RunEnd,
}

/// Bytes of one binary view.
pub(crate) const VIEW_SIZE: usize = 16;
/// Longest value a binary view holds inline.
pub(crate) const VIEW_INLINE: usize = 12;

impl Layout {
    pub(crate) fn of(data_type: &DataType) -> Layout {
        use DataType::*;
        match data_type {
            Null => Layout::Null,
            Bool => Layout::Bits,
            Int8 | UInt8 => Layout::Fixed(1),
            Int16 | UInt16 | Float16 => Layout::Fixed(2),
            Int32 | UInt32 | Float32 | Date32 | Time32(_) | Decimal32(..) => Layout::Fixed(4),
            Interval(IntervalUnit::YearMonth) => Layout::Fixed(4),
            Int64 | UInt64 | Float64 | Date64 | Time64(_) | Timestamp(..) | Duration(_) => {
                Layout::Fixed(8)
            }
            Decimal64(..) | Interval(IntervalUnit::DayTime) => Layout::Fixed(8),
            Decimal128(..) | Interval(IntervalUnit::MonthDayNano) => Layout::Fixed(16),
            Decimal256(..) => Layout::Fixed(32),
            FixedSizeBinary(n) => Layout::Fixed(*n),
            Binary | Utf8 => Layout::Var(4),
            LargeBinary | LargeUtf8 => Layout::Var(8),
            BinaryView | Utf8View => Layout::View,
            List(_) | Map(..) => Layout::List(4),
            LargeList(_) => Layout::List(8),
            FixedSizeList(_, n) => Layout::FixedList(*n),
            ListView(_) => Layout::ListView(4),
            LargeListView(_) => Layout::ListView(8),
            Struct(_) => Layout::Struct,
            Union { mode, .. } => Layout::Union(*mode),
            Dictionary { index, .. } => Layout::of(index),
            RunEndEncoded(..) => Layout::RunEnd,
        }
    }

    /// `true` when buffer 0 is a validity bitmap.
    pub(crate) fn has_validity(self) -> bool {
        !matches!(self, Layout::Null | Layout::Union(_) | Layout::RunEnd)
    }

    /// `n_buffers`, or `None` for views (3 or more).
    pub(crate) fn n_buffers(self) -> Option<usize> {
        Some(match self {
            Layout::Null | Layout::RunEnd => 0,
            Layout::Struct | Layout::FixedList(_) | Layout::Union(UnionMode::Sparse) => 1,
            Layout::Bits | Layout::Fixed(_) | Layout::List(_) => 2,
            Layout::Union(UnionMode::Dense) => 2,
            Layout::Var(_) | Layout::ListView(_) => 3,
            Layout::View => return None,
        })
    }
}

/// Bytes of a bitmap of `bits` bits.
pub(crate) fn bitmap_bytes(bits: usize) -> usize {
    bits / 8 + usize::from(bits % 8 != 0)
}

fn mul(a: usize, b: usize) -> Result<usize, String> {
    a.checked_mul(b).filter(|&n| n <= isize::MAX as usize).ok_or_else(|| "is too long".to_string())
}

/// Reads little-endian signed integer `i` of a buffer of `width`-byte integers (1, 2, 4 or 8:
/// offsets, sizes, run ends).
pub(crate) fn read_offset(bytes: &[u8], width: usize, i: usize) -> i64 {
    let b = &bytes[i * width..(i + 1) * width];
    match width {
        1 => i64::from(b[0] as i8),
        2 => i64::from(i16::from_le_bytes([b[0], b[1]])),
        4 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

/// Reads dictionary index `i` of a buffer of `width`-byte integers, `None` when it is negative
/// or does not fit `usize`.
pub(crate) fn read_index(bytes: &[u8], width: usize, signed: bool, i: usize) -> Option<usize> {
    let b = &bytes[i * width..(i + 1) * width];
    if signed && b[width - 1] & 0x80 != 0 {
        return None;
    }
    let mut word = [0u8; 8];
    word[..width].copy_from_slice(b);
    usize::try_from(u64::from_le_bytes(word)).ok()
}

/// The buffers of an array node with slots `[0, end)`, in C Data order. `fetch(i, bytes)` returns
/// buffer `i` cut to `bytes` bytes (or fails when it is shorter), or `None` for a null pointer.
/// Buffers are fetched in an order where data-dependent sizes (string data from the last offset,
/// variadic buffers from the sizes buffer) are known first. A null pointer is accepted for a
/// validity bitmap, for a buffer of zero bytes, and for the offsets of an empty array.
// Not inlined: import_node, which calls it, must stay under the JVM's 8,000-byte JIT limit
// once the host compiles it to Java bytecode (see import_node).
#[inline(never)]
pub(crate) fn fetch_buffers<'b>(
    layout: Layout,
    end: usize,
    n_buffers: usize,
    mut fetch: impl FnMut(usize, usize) -> Result<Option<&'b [u8]>, String>,
) -> Result<Vec<Option<&'b [u8]>>, String> {
    match layout.n_buffers() {
        Some(n) if n != n_buffers => return Err(format!("has {n_buffers} buffers, expected {n}")),
        None if n_buffers < 3 => {
            return Err(format!("has {n_buffers} buffers, expected at least 3"));
        }
        _ => {}
    }
    let mut out: Vec<Option<&'b [u8]>> = vec![None; n_buffers];
    let bitmap = bitmap_bytes(end);
    // Offsets buffers hold one more entry than slots.
    let entries = end.checked_add(1).ok_or_else(|| "is too long".to_string())?;
    // Fetches buffer `i` of `bytes` bytes; a null pointer only where allowed.
    let mut get = |i: usize, bytes: usize, nullable: bool| -> Result<Option<&'b [u8]>, String> {
        let buffer = fetch(i, bytes)?;
        if buffer.is_none() && !nullable && bytes > 0 {
            return Err(format!("has a null buffer {i}, which must hold {bytes} bytes"));
        }
        Ok(buffer)
    };
    if layout.has_validity() {
        out[0] = get(0, bitmap, true)?;
    }
    match layout {
        Layout::Null | Layout::RunEnd | Layout::Struct | Layout::FixedList(_) => {}
        Layout::Bits => out[1] = get(1, bitmap, false)?,
        Layout::Fixed(width) => out[1] = get(1, mul(end, width)?, false)?,
        Layout::Var(width) => {
            let offsets = get(1, mul(entries, width)?, end == 0)?;
            let data = match offsets {
                Some(offsets) => usize::try_from(read_offset(offsets, width, end))
                    .map_err(|_| format!("has a negative offset at slot {end}"))?,
                None => 0,
            };
            out[1] = offsets;
            out[2] = get(2, data, false)?;
        }
        Layout::View => {
            out[1] = get(1, mul(end, VIEW_SIZE)?, false)?;
            let variadic = n_buffers - 3;
            let sizes = get(n_buffers - 1, mul(variadic, 8)?, false)?;
            for i in 0..variadic {
                let size = sizes.map_or(0, |s| read_offset(s, 8, i));
                let size = usize::try_from(size)
                    .map_err(|_| format!("has a negative size ({size}) of variadic buffer {i}"))?;
                out[2 + i] = get(2 + i, size, false)?;
            }
            out[n_buffers - 1] = sizes;
        }
        Layout::List(width) => out[1] = get(1, mul(entries, width)?, end == 0)?,
        Layout::ListView(width) => {
            out[1] = get(1, mul(end, width)?, false)?;
            out[2] = get(2, mul(end, width)?, false)?;
        }
        Layout::Union(mode) => {
            out[0] = get(0, end, false)?;
            if mode == UnionMode::Dense {
                out[1] = get(1, mul(end, 4)?, false)?;
            }
        }
    }
    Ok(out)
}

/// Checks the lengths of the children of a node with slots `[0, end)` against what the parent
/// addresses without reading its data: struct and sparse union children hold `end` slots, a
/// fixed-size list's child `end * size`, a list's child reaches its last offset.
// Not inlined: import_node, which calls it, must stay under the JVM's 8,000-byte JIT limit
// once the host compiles it to Java bytecode (see import_node).
#[inline(never)]
pub(crate) fn check_children(
    layout: Layout,
    end: usize,
    buffers: &[Option<&[u8]>],
    children: &[(&str, usize)],
) -> Result<(), String> {
    let need = match layout {
        Layout::Struct | Layout::Union(UnionMode::Sparse) => end,
        Layout::FixedList(size) => mul(end, size)?,
        Layout::List(width) => match buffers[1] {
            Some(offsets) => usize::try_from(read_offset(offsets, width, end))
                .map_err(|_| format!("has a negative offset at slot {end}"))?,
            None => 0,
        },
        _ => 0,
    };
    for (name, len) in children {
        if *len < need {
            return Err(format!("has a child '{name}' of {len} slots, which must hold {need}"));
        }
    }
    Ok(())
}

/// Checks a null count (`-1` = unknown) against the length and the validity bitmap.
// Not inlined: import_node, which calls it, must stay under the JVM's 8,000-byte JIT limit
// once the host compiles it to Java bytecode (see import_node).
#[inline(never)]
pub(crate) fn check_null_count(
    layout: Layout,
    null_count: i64,
    len: usize,
    has_validity_buffer: bool,
) -> Result<Option<usize>, String> {
    let count = match null_count {
        -1 => return Ok(None),
        n => usize::try_from(n).map_err(|_| format!("has a null count of {n}"))?,
    };
    if count > len {
        return Err(format!("has a null count of {count} for {len} slots"));
    }
    if count > 0 && layout.has_validity() && !has_validity_buffer {
        return Err(format!("has a null count of {count} but no validity bitmap"));
    }
    Ok(Some(count))
}
