//! Helpers of the integration tests: round trips through the real export and import path,
//! deep comparisons of views, and a tiny seeded pseudo-random generator.

#![allow(dead_code)]

use wasm_flight_guest::{ArrayBuilder, ArrayView, DataType, OutputBatch, UnionMode};

/// Exports `array` as the only column of a batch (the real C Data export), reads it back, runs
/// `check` on the view; then copies the view with `ArrayBuilder::copy_of`, exports and reads the
/// copy and checks it the same way, and that it equals the original buffer for buffer.
pub fn round_trip(array: ArrayBuilder, check: impl Fn(&ArrayView<'_>)) {
    let rows = array.len();
    let field = array.field().clone();
    let batch = OutputBatch::new(rows).with_array(array).unwrap();
    batch
        .as_input(|input| {
            let view = input.column(0).unwrap().array();
            assert_eq!(view.field(), &field);
            check(&view);
            let copy = ArrayBuilder::copy_of(&view).unwrap();
            let copied = OutputBatch::new(rows).with_array(copy).unwrap();
            copied
                .as_input(|again| {
                    let copy = again.column(0).unwrap().array();
                    assert_physically_equal(&view, &copy, "copy");
                    assert_same(&view, &copy, "copy");
                    check(&copy);
                })
                .unwrap();
        })
        .unwrap();
}

/// The same field, slots, offset, null count, buffers (byte for byte, over what the slots
/// address), children and dictionary.
pub fn assert_physically_equal(a: &ArrayView<'_>, b: &ArrayView<'_>, path: &str) {
    assert_eq!(a.field(), b.field(), "{path}: field");
    assert_eq!((a.offset(), a.len()), (b.offset(), b.len()), "{path}: offset, len");
    assert_eq!(a.null_count(), b.null_count(), "{path}: null count");
    assert_eq!(a.num_buffers(), b.num_buffers(), "{path}: n_buffers");
    for i in 0..a.num_buffers() {
        let (x, y) = (a.buffer(i).unwrap_or(&[]), b.buffer(i).unwrap_or(&[]));
        let n = x.len().min(y.len());
        assert_eq!(&x[..n], &y[..n], "{path}: buffer {i}");
        // The copy may replace a null pointer by zeros (the offsets of an empty array).
        assert!(x[n..].iter().chain(&y[n..]).all(|&b| b == 0), "{path}: buffer {i} length");
        assert!(a.buffer(i).is_none() || b.buffer(i).is_some(), "{path}: buffer {i} presence");
    }
    assert_eq!(a.num_children(), b.num_children(), "{path}: children");
    for i in 0..a.num_children() {
        assert_physically_equal(&a.child(i), &b.child(i), &format!("{path}.{i}"));
    }
    match (a.dictionary(), b.dictionary()) {
        (Some(x), Some(y)) => assert_physically_equal(&x, &y, &format!("{path} dictionary")),
        (None, None) => {}
        _ => panic!("{path}: dictionary presence"),
    }
}

/// The same field and the same logical values, slot by slot, through the typed views (which
/// also checks that every typed view accepts the data).
pub fn assert_same(a: &ArrayView<'_>, b: &ArrayView<'_>, path: &str) {
    assert_eq!(a.field(), b.field(), "{path}: field");
    assert_eq!(a.len(), b.len(), "{path}: len");
    let dt = a.data_type();
    let n = a.len();
    match dt {
        DataType::Null => {
            assert_eq!(a.as_null().unwrap().len(), n);
            assert_eq!(b.null_count(), n, "{path}: null count");
        }
        DataType::Bool => {
            let (x, y) = (a.as_bool().unwrap(), b.as_bool().unwrap());
            assert!(x.iter().eq(y.iter()), "{path}: bools");
        }
        DataType::Utf8 => eq_iter(a.as_utf8().unwrap().iter(), b.as_utf8().unwrap().iter(), path),
        DataType::LargeUtf8 => {
            eq_iter(a.as_large_utf8().unwrap().iter(), b.as_large_utf8().unwrap().iter(), path)
        }
        DataType::Binary => {
            eq_iter(a.as_binary().unwrap().iter(), b.as_binary().unwrap().iter(), path)
        }
        DataType::LargeBinary => {
            eq_iter(a.as_large_binary().unwrap().iter(), b.as_large_binary().unwrap().iter(), path)
        }
        DataType::Utf8View => {
            eq_iter(a.as_utf8_view().unwrap().iter(), b.as_utf8_view().unwrap().iter(), path)
        }
        DataType::BinaryView => {
            eq_iter(a.as_binary_view().unwrap().iter(), b.as_binary_view().unwrap().iter(), path)
        }
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::FixedSizeList(..)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::Map(..) => {
            let (x, y) = (a.as_list().unwrap(), b.as_list().unwrap());
            for i in 0..n {
                assert_eq!(x.is_valid(i), y.is_valid(i), "{path}[{i}]: validity");
                if x.is_valid(i) {
                    assert_same(&x.value(i), &y.value(i), &format!("{path}[{i}]"));
                }
            }
        }
        DataType::Struct(_) => {
            let (x, y) = (a.as_struct().unwrap(), b.as_struct().unwrap());
            for i in 0..n {
                assert_eq!(x.is_valid(i), y.is_valid(i), "{path}[{i}]: validity");
            }
            for j in 0..x.num_columns() {
                assert_same(&x.column(j), &y.column(j), &format!("{path}.{j}"));
            }
        }
        DataType::Union { .. } => {
            let (x, y) = (a.as_union().unwrap(), b.as_union().unwrap());
            for i in 0..n {
                assert_eq!(x.type_id(i), y.type_id(i), "{path}[{i}]: type id");
                assert_same(&x.value(i), &y.value(i), &format!("{path}[{i}]"));
            }
        }
        DataType::Dictionary { .. } => {
            let (x, y) = (a.as_dictionary().unwrap(), b.as_dictionary().unwrap());
            assert_eq!(x.is_ordered(), y.is_ordered());
            for i in 0..n {
                match (x.get(i), y.get(i)) {
                    (Some(v), Some(w)) => assert_same(&v, &w, &format!("{path}[{i}]")),
                    (None, None) => {}
                    _ => panic!("{path}[{i}]: validity"),
                }
            }
        }
        DataType::RunEndEncoded(..) => {
            let (x, y) = (a.as_run_end().unwrap(), b.as_run_end().unwrap());
            for i in 0..n {
                assert_same(&x.value(i), &y.value(i), &format!("{path}[{i}]"));
            }
        }
        _ => {
            let (x, y) = (a.as_fixed_bytes().unwrap(), b.as_fixed_bytes().unwrap());
            eq_iter(x.iter(), y.iter(), path);
        }
    }
}

fn eq_iter<T: PartialEq + std::fmt::Debug>(
    a: impl Iterator<Item = T>,
    b: impl Iterator<Item = T>,
    path: &str,
) {
    let (a, b): (Vec<T>, Vec<T>) = (a.collect(), b.collect());
    assert_eq!(a, b, "{path}: values");
}

/// xorshift64*: a tiny seeded generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `[0, n)`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// `true` with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }
}

/// A union mode at random.
pub fn mode(rng: &mut Rng) -> UnionMode {
    if rng.one_in(2) {
        UnionMode::Sparse
    } else {
        UnionMode::Dense
    }
}
