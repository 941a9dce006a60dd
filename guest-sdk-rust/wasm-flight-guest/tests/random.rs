//! Random nested types and data (a seeded xorshift generator, no crates): each batch is built
//! with the builders, written through the C Data export, read back, copied with
//! `ArrayBuilder::copy_of` (whole and sliced), written and read again, and compared buffer for
//! buffer and value for value. A failure prints its seed; `WF_SEED=<seed>` reruns only that one,
//! `WF_SEEDS=<n>` runs seeds 1..=n (default 1500).

mod common;

use std::panic::{self, AssertUnwindSafe};

use common::{assert_physically_equal, assert_same, Rng};
use wasm_flight_guest::{
    ArrayBuilder, BinaryBuilder, BinaryViewBuilder, BoolBuilder, DataType, Field,
    FixedBytesBuilder, IntervalUnit, LargeBinaryBuilder, LargeUtf8Builder, Metadata, OutputBatch,
    Primitive, PrimitiveBuilder, TimeUnit, Utf8Builder, Utf8ViewBuilder, F16,
};

const UNITS: [TimeUnit; 4] =
    [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond];

/// Decides which slots are null: none, some, or all.
struct Nulls(usize);

impl Nulls {
    fn random(rng: &mut Rng) -> Nulls {
        Nulls(*rng.pick(&[0, 0, 0, 2, 3, 5, 1]))
    }

    fn valid(&self, rng: &mut Rng) -> bool {
        self.0 == 0 || !rng.one_in(self.0)
    }
}

fn numbers<T: Primitive>(rng: &mut Rng, len: usize, value: impl Fn(u64) -> T) -> ArrayBuilder {
    let nulls = Nulls::random(rng);
    let b: PrimitiveBuilder<T> =
        (0..len).map(|_| if nulls.valid(rng) { Some(value(rng.next())) } else { None }).collect();
    b.into()
}

fn text(rng: &mut Rng) -> String {
    let n = rng.below(20);
    (0..n).map(|_| *rng.pick(&["a", "b", "é", "∂", "😀", " ", "Z"])).collect()
}

fn texts(rng: &mut Rng, len: usize) -> Vec<Option<String>> {
    let nulls = Nulls::random(rng);
    (0..len).map(|_| if nulls.valid(rng) { Some(text(rng)) } else { None }).collect()
}

fn blobs(rng: &mut Rng, len: usize) -> Vec<Option<Vec<u8>>> {
    let nulls = Nulls::random(rng);
    (0..len)
        .map(|_| {
            let n = rng.below(30);
            if nulls.valid(rng) {
                Some(rng.bytes(n))
            } else {
                None
            }
        })
        .collect()
}

/// An array of `len` slots of a random type without children.
fn leaf(rng: &mut Rng, len: usize) -> ArrayBuilder {
    match rng.below(22) {
        0 => ArrayBuilder::new_null(len),
        1 => {
            let nulls = Nulls::random(rng);
            let b: BoolBuilder = (0..len)
                .map(|_| if nulls.valid(rng) { Some(rng.one_in(2)) } else { None })
                .collect();
            b.into()
        }
        2 => numbers(rng, len, |x| x as i8),
        3 => numbers(rng, len, |x| x as u8),
        4 => numbers(rng, len, |x| x as i16),
        5 => numbers(rng, len, |x| x as u16),
        6 => numbers(rng, len, |x| x as i32),
        7 => numbers(rng, len, |x| x as u32),
        8 => numbers(rng, len, |x| x as i64),
        9 => numbers(rng, len, |x| x),
        10 => numbers(rng, len, |x| F16::from_bits(x as u16)),
        11 => numbers(rng, len, |x| f32::from_bits(x as u32)),
        12 => numbers(rng, len, f64::from_bits),
        13 => {
            let data_type = rng
                .pick(&[
                    DataType::Date32,
                    DataType::Time32(TimeUnit::Second),
                    DataType::Time32(TimeUnit::Millisecond),
                    DataType::Interval(IntervalUnit::YearMonth),
                ])
                .clone();
            numbers(rng, len, |x| x as i32).with_data_type(data_type).unwrap()
        }
        14 => {
            let unit = *rng.pick(&UNITS);
            let zone = *rng.pick(&[None, Some("UTC"), Some("Asia/Kolkata"), Some("-03:00")]);
            let time_unit =
                if rng.one_in(2) { TimeUnit::Microsecond } else { TimeUnit::Nanosecond };
            let data_type = rng
                .pick(&[
                    DataType::Date64,
                    DataType::Time64(time_unit),
                    DataType::Timestamp(unit, zone.map(String::from)),
                    DataType::Duration(unit),
                ])
                .clone();
            numbers(rng, len, |x| x as i64).with_data_type(data_type).unwrap()
        }
        15 => {
            let n = rng.below(7);
            let (width, data_type) = rng
                .pick(&[
                    (16, DataType::Decimal128(38, 9)),
                    (16, DataType::Decimal128(5, -2)),
                    (32, DataType::Decimal256(76, 20)),
                    (4, DataType::Decimal32(9, 1)),
                    (8, DataType::Decimal64(18, 0)),
                    (8, DataType::Interval(IntervalUnit::DayTime)),
                    (16, DataType::Interval(IntervalUnit::MonthDayNano)),
                    (n, DataType::FixedSizeBinary(n)),
                ])
                .clone();
            let nulls = Nulls::random(rng);
            let mut b = FixedBytesBuilder::new(width);
            for _ in 0..len {
                let value = rng.bytes(width);
                b.push(if nulls.valid(rng) { Some(&value) } else { None });
            }
            ArrayBuilder::from(b).with_data_type(data_type).unwrap()
        }
        16 => texts(rng, len).into_iter().collect::<Utf8Builder>().into(),
        17 => texts(rng, len).into_iter().collect::<LargeUtf8Builder>().into(),
        18 => blobs(rng, len).into_iter().collect::<BinaryBuilder>().into(),
        19 => blobs(rng, len).into_iter().collect::<LargeBinaryBuilder>().into(),
        20 => {
            let mut b = Utf8ViewBuilder::new().with_block_size(1 + rng.below(64));
            b.extend(texts(rng, len));
            b.into()
        }
        _ => {
            let mut b = BinaryViewBuilder::new().with_block_size(1 + rng.below(64));
            b.extend(blobs(rng, len));
            b.into()
        }
    }
}

/// `len` random lengths adding up to at most about `2 * len`, `None` for nulls.
fn lengths(rng: &mut Rng, len: usize) -> Vec<Option<usize>> {
    let nulls = Nulls::random(rng);
    (0..len).map(|_| if nulls.valid(rng) { Some(rng.below(4)) } else { None }).collect()
}

fn total(lengths: &[Option<usize>]) -> usize {
    lengths.iter().map(|l| l.unwrap_or(0)).sum()
}

fn validity(rng: &mut Rng, len: usize) -> Option<Vec<bool>> {
    let nulls = Nulls::random(rng);
    if nulls.0 == 0 {
        None
    } else {
        Some((0..len).map(|_| nulls.valid(rng)).collect())
    }
}

/// An array of `len` slots of a random type with children of at most `depth` more levels.
fn nested(rng: &mut Rng, depth: usize, len: usize) -> ArrayBuilder {
    match rng.below(12) {
        0 => {
            let lengths = lengths(rng, len);
            let values = array(rng, depth, total(&lengths));
            ArrayBuilder::new_list(values, lengths).unwrap()
        }
        1 => {
            let lengths = lengths(rng, len);
            let values = array(rng, depth, total(&lengths));
            ArrayBuilder::new_large_list(values, lengths).unwrap()
        }
        2 => {
            let size = rng.below(4);
            let values = array(rng, depth, len * size);
            let validity = validity(rng, len);
            ArrayBuilder::new_fixed_size_list(values, size, len, validity.as_deref()).unwrap()
        }
        3 | 4 => {
            let m = rng.below(7);
            let nulls = Nulls::random(rng);
            let slots: Vec<Option<(usize, usize)>> = (0..len)
                .map(|_| {
                    let offset = rng.below(m + 1);
                    let size = rng.below(m - offset + 1);
                    if nulls.valid(rng) {
                        Some((offset, size))
                    } else {
                        None
                    }
                })
                .collect();
            let values = array(rng, depth, m);
            if rng.one_in(2) {
                ArrayBuilder::new_list_view(values, slots).unwrap()
            } else {
                ArrayBuilder::new_large_list_view(values, slots).unwrap()
            }
        }
        5 => {
            let lengths = lengths(rng, len);
            let m = total(&lengths);
            let keys: ArrayBuilder = if rng.one_in(2) {
                (0..m).map(|i| Some(i as i32)).collect::<PrimitiveBuilder<i32>>().into()
            } else {
                (0..m).map(|_| Some(text(rng))).collect::<Utf8Builder>().into()
            };
            let values = array(rng, depth, m);
            ArrayBuilder::new_map(keys, values, lengths, rng.one_in(2)).unwrap()
        }
        6 | 7 => {
            let k = rng.below(4);
            let columns =
                (0..k).map(|j| array(rng, depth, len).with_name(format!("f{j}"))).collect();
            let validity = validity(rng, len);
            ArrayBuilder::new_struct(len, columns, validity.as_deref()).unwrap()
        }
        8 | 9 => {
            let dense = rng.one_in(2);
            let k = if len == 0 { rng.below(3) } else { 1 + rng.below(3) };
            let mut ids: Vec<i8> = Vec::new();
            while ids.len() < k {
                let id = rng.below(128) as i8;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            let child_lens: Vec<usize> =
                (0..k).map(|_| if dense { 1 + rng.below(4) } else { len }).collect();
            let members: Vec<(i8, ArrayBuilder)> = ids
                .iter()
                .zip(&child_lens)
                .enumerate()
                .map(|(j, (&id, &n))| (id, array(rng, depth, n).with_name(format!("u{j}"))))
                .collect();
            let picks: Vec<usize> = (0..len).map(|_| rng.below(k)).collect();
            let type_ids: Vec<i8> = picks.iter().map(|&j| ids[j]).collect();
            if dense {
                let offsets: Vec<i32> =
                    picks.iter().map(|&j| rng.below(child_lens[j]) as i32).collect();
                ArrayBuilder::new_dense_union(members, &type_ids, &offsets).unwrap()
            } else {
                ArrayBuilder::new_sparse_union(members, &type_ids).unwrap()
            }
        }
        10 => {
            let m = if len == 0 { rng.below(3) } else { 1 + rng.below(5) };
            let values = array(rng, depth, m);
            let nulls = Nulls::random(rng);
            let keys: Vec<Option<u64>> = (0..len)
                .map(|_| if nulls.valid(rng) { Some(rng.below(m) as u64) } else { None })
                .collect();
            let mut keys = keys.into_iter();
            let indices: ArrayBuilder = match rng.below(8) {
                0 => keys
                    .by_ref()
                    .map(|k| k.map(|k| k as i8))
                    .collect::<PrimitiveBuilder<i8>>()
                    .into(),
                1 => keys
                    .by_ref()
                    .map(|k| k.map(|k| k as u8))
                    .collect::<PrimitiveBuilder<u8>>()
                    .into(),
                2 => keys
                    .by_ref()
                    .map(|k| k.map(|k| k as i16))
                    .collect::<PrimitiveBuilder<i16>>()
                    .into(),
                3 => keys
                    .by_ref()
                    .map(|k| k.map(|k| k as u16))
                    .collect::<PrimitiveBuilder<u16>>()
                    .into(),
                4 => keys
                    .by_ref()
                    .map(|k| k.map(|k| k as i32))
                    .collect::<PrimitiveBuilder<i32>>()
                    .into(),
                5 => keys
                    .by_ref()
                    .map(|k| k.map(|k| k as u32))
                    .collect::<PrimitiveBuilder<u32>>()
                    .into(),
                6 => keys
                    .by_ref()
                    .map(|k| k.map(|k| k as i64))
                    .collect::<PrimitiveBuilder<i64>>()
                    .into(),
                _ => keys.by_ref().collect::<PrimitiveBuilder<u64>>().into(),
            };
            ArrayBuilder::new_dictionary(indices, values, rng.one_in(2)).unwrap()
        }
        _ => {
            // Runs ending at distinct cut points, the last at `len`.
            let mut ends: Vec<usize> = (1..len).filter(|_| rng.one_in(3)).collect();
            if len > 0 {
                ends.push(len);
            }
            let spare = rng.below(2);
            let values = array(rng, depth, ends.len() + spare);
            let run_ends: ArrayBuilder = match rng.below(3) {
                0 if len < 1000 => {
                    ends.iter().map(|&e| Some(e as i16)).collect::<PrimitiveBuilder<i16>>().into()
                }
                1 => ends.iter().map(|&e| Some(e as i64)).collect::<PrimitiveBuilder<i64>>().into(),
                _ => ends.iter().map(|&e| Some(e as i32)).collect::<PrimitiveBuilder<i32>>().into(),
            };
            ArrayBuilder::new_run_end_encoded(run_ends, values).unwrap()
        }
    }
}

/// An array of `len` slots of a random type, sometimes a slice of a longer one, sometimes with
/// metadata.
fn array(rng: &mut Rng, depth: usize, len: usize) -> ArrayBuilder {
    let extra = if rng.one_in(3) { rng.below(4) } else { 0 };
    let start = rng.below(extra + 1);
    let a = if depth == 0 || rng.one_in(3) {
        leaf(rng, len + extra)
    } else {
        nested(rng, depth - 1, len + extra)
    };
    let a = if rng.one_in(4) { a.with_metadata(metadata(rng)) } else { a };
    if extra > 0 {
        a.slice(start, len)
    } else {
        a
    }
}

fn metadata(rng: &mut Rng) -> Metadata {
    (0..rng.below(3)).map(|_| (text(rng), text(rng))).collect()
}

fn one_seed(seed: u64) {
    let mut rng = Rng::new(seed);
    let rows = rng.below(12);
    let mut batch = OutputBatch::new(rows).with_metadata(metadata(&mut rng));
    for i in 0..1 + rng.below(4) {
        let depth = rng.below(4);
        let column = array(&mut rng, depth, rows).with_name(format!("c{i}"));
        batch = batch.with_array(column).unwrap();
    }
    let (a, b) = (rng.below(rows + 1), rng.below(rows + 1));
    let (start, len) = (a.min(b), a.max(b) - a.min(b));
    // A zero-row batch of the same schema reads back with the same fields.
    let schema: Vec<Field> = batch.fields().cloned().collect();
    OutputBatch::new_empty(&schema)
        .unwrap()
        .as_input(|empty| {
            assert_eq!(empty.num_rows(), 0);
            for (field, column) in schema.iter().zip(empty.columns()) {
                assert_eq!(column.field(), field);
                assert_same(&column.array(), &column.array(), column.name());
            }
        })
        .unwrap();
    batch
        .as_input(|input| {
            let mut copy = OutputBatch::new(rows).with_metadata(input.metadata().clone());
            let mut sliced = OutputBatch::new(len);
            for column in input.columns() {
                let view = column.array();
                assert_same(&view, &view, column.name()); // every typed view accepts it
                copy = copy.with_array(ArrayBuilder::copy_of(&view).unwrap()).unwrap();
                let part = ArrayBuilder::copy_of(&view.slice(start, len)).unwrap();
                sliced = sliced.with_array(part).unwrap();
            }
            copy.as_input(|output| {
                assert_eq!(output.metadata(), input.metadata());
                for (x, y) in input.columns().iter().zip(output.columns()) {
                    assert_physically_equal(&x.array(), &y.array(), x.name());
                    assert_same(&x.array(), &y.array(), x.name());
                }
            })
            .unwrap();
            sliced
                .as_input(|output| {
                    for (x, y) in input.columns().iter().zip(output.columns()) {
                        assert_same(&x.array().slice(start, len), &y.array(), x.name());
                    }
                })
                .unwrap();
        })
        .unwrap();
}

#[test]
fn random_nested_round_trips() {
    let seeds: Vec<u64> = match std::env::var("WF_SEED") {
        Ok(seed) => vec![seed.parse().expect("WF_SEED is a number")],
        Err(_) => {
            let n = std::env::var("WF_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(1500);
            (1..=n).collect()
        }
    };
    for seed in seeds {
        if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| one_seed(seed))) {
            eprintln!(
                "random round trip failed with seed {seed}; rerun it alone with WF_SEED={seed}"
            );
            panic::resume_unwind(panic);
        }
    }
}
