//! Every type of `proto-docs/types.md`: built with the builders (with nulls, with non-zero
//! offsets where meaningful, empty), written through the real C Data export, read back through
//! the views, copied with `copy_of` and read again (`common::round_trip`).

mod common;

use common::round_trip;
use wasm_flight_guest::{
    ArrayBuilder, ArrayView, BinaryBuilder, BinaryViewBuilder, BoolBuilder, DataType, ErrorKind,
    Field, FixedBytesBuilder, IntervalUnit, LargeBinaryBuilder, LargeUtf8Builder, Metadata,
    NullBuilder, OutputBatch, Primitive, PrimitiveBuilder, TimeUnit, UnionMode, Utf8Builder,
    Utf8ViewBuilder, F16,
};

fn ints(values: &[Option<i32>]) -> ArrayBuilder {
    values.iter().copied().collect::<PrimitiveBuilder<i32>>().into()
}

fn strings(values: &[Option<&str>]) -> ArrayBuilder {
    values.iter().copied().collect::<Utf8Builder>().into()
}

/// The `i32` values of a view.
fn int_values(view: &ArrayView<'_>) -> Vec<Option<i32>> {
    view.as_primitive::<i32>().unwrap().iter().collect()
}

fn str_values(view: &ArrayView<'_>) -> Vec<Option<String>> {
    view.as_utf8().unwrap().iter().map(|v| v.map(String::from)).collect()
}

/// Checks `values` round trip as `T` whole, sliced (1.., one shorter at the end) and empty.
fn primitive_case<T: Primitive>(values: &[Option<T>], data_type: DataType) {
    let build = || {
        let b: PrimitiveBuilder<T> = values.iter().copied().collect();
        ArrayBuilder::from(b).with_data_type(data_type.clone()).unwrap()
    };
    let n = values.len();
    for (start, len) in [(0, n), (1, n - 2), (n, 0)] {
        let expected = &values[start..start + len];
        round_trip(build().slice(start, len), |view| {
            assert_eq!(view.data_type(), &data_type);
            assert_eq!(view.offset(), start);
            // Compared as text: NaN is not equal to itself (`round_trip` compares the bits).
            let got: Vec<Option<T>> = view.as_primitive::<T>().unwrap().iter().collect();
            assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{data_type}");
            assert_eq!(view.null_count(), expected.iter().filter(|v| v.is_none()).count());
        });
    }
}

#[test]
fn null_type() {
    let mut b = NullBuilder::new();
    b.append_nulls(4);
    for (start, len) in [(0, 4), (1, 2), (4, 0)] {
        round_trip(ArrayBuilder::from(b.clone()).slice(start, len), |view| {
            assert_eq!(view.data_type(), &DataType::Null);
            assert_eq!((view.len(), view.null_count(), view.num_buffers()), (len, len, 0));
            assert!((0..len).all(|i| view.is_null(i)));
            let nulls = view.as_null().unwrap();
            assert_eq!((nulls.len(), nulls.iter().filter(Option::is_none).count()), (len, len));
            assert!(len == 0 || (nulls.is_null(0) && nulls.get(0).is_none()));
        });
    }
}

#[test]
fn bool_type() {
    let values: Vec<Option<bool>> =
        (0..19).map(|i| if i % 5 == 3 { None } else { Some(i % 3 == 0) }).collect();
    for (start, len) in [(0, 19), (3, 13), (19, 0)] {
        let b: BoolBuilder = values.iter().copied().collect();
        round_trip(ArrayBuilder::from(b).slice(start, len), |view| {
            let got: Vec<_> = view.as_bool().unwrap().iter().collect();
            assert_eq!(got, &values[start..start + len]);
        });
    }
}

#[test]
fn integers() {
    primitive_case(&[Some(i8::MIN), None, Some(0), Some(i8::MAX)], DataType::Int8);
    primitive_case(&[Some(i16::MIN), Some(7), None, Some(i16::MAX)], DataType::Int16);
    primitive_case(&[Some(i32::MIN), None, None, Some(i32::MAX), Some(-1)], DataType::Int32);
    primitive_case(&[Some(i64::MIN), Some(1), None, Some(i64::MAX)], DataType::Int64);
    primitive_case(&[Some(u8::MAX), None, Some(0), Some(1)], DataType::UInt8);
    primitive_case(&[Some(u16::MAX), None, Some(0), Some(1)], DataType::UInt16);
    primitive_case(&[Some(u32::MAX), None, Some(0), Some(1)], DataType::UInt32);
    primitive_case(&[Some(u64::MAX), None, Some(0), Some(1)], DataType::UInt64);
}

#[test]
fn floats() {
    let halves: Vec<Option<F16>> = [0x3C00, 0x7E01, 0x8000, 0x7C00]
        .iter()
        .map(|&b| Some(F16::from_bits(b)))
        .chain([None])
        .collect();
    primitive_case(&halves, DataType::Float16);
    let nan = f32::from_bits(0x7FC0_1234);
    primitive_case(&[Some(1.5f32), None, Some(-0.0), Some(nan), Some(f32::MIN)], DataType::Float32);
    // Bit-exact: NaN payloads and negative zero survive (checked as bytes by round_trip).
    let nan = f64::from_bits(0x7FF8_0000_DEAD_BEEF);
    primitive_case(&[Some(2.5f64), Some(nan), None, Some(-0.0), Some(f64::MAX)], DataType::Float64);
    let view_bits = |values: &[Option<f64>]| {
        let b: PrimitiveBuilder<f64> = values.iter().copied().collect();
        round_trip(b.into(), |view| {
            let bytes = view.as_fixed_bytes().unwrap();
            assert_eq!(bytes.value(0), &nan.to_bits().to_le_bytes());
        });
    };
    view_bits(&[Some(nan)]);
}

#[test]
fn temporal_types_stored_as_i32_and_i64() {
    let small = [Some(19_000), None, Some(-1), Some(0), Some(i32::MAX)];
    let large = [Some(1_700_000_000_000), None, Some(-1), Some(0), Some(i64::MIN)];
    primitive_case(&small, DataType::Date32);
    primitive_case(&large, DataType::Date64);
    primitive_case(&small, DataType::Time32(TimeUnit::Second));
    primitive_case(&small, DataType::Time32(TimeUnit::Millisecond));
    primitive_case(&large, DataType::Time64(TimeUnit::Microsecond));
    primitive_case(&large, DataType::Time64(TimeUnit::Nanosecond));
    primitive_case(&small, DataType::Interval(IntervalUnit::YearMonth));
    for unit in
        [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond]
    {
        primitive_case(&large, DataType::Duration(unit));
        primitive_case(&large, DataType::Timestamp(unit, None));
        for zone in ["UTC", "Europe/Paris", "+07:30"] {
            primitive_case(&large, DataType::Timestamp(unit, Some(zone.to_string())));
        }
    }
    // The strict 1.0 accessor only takes the exact type; the view takes the physical one.
    let b: PrimitiveBuilder<i64> = [Some(1)].into_iter().collect();
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let batch = OutputBatch::new(1)
        .with_column("t", true, ArrayBuilder::from(b).with_data_type(ts).unwrap())
        .unwrap();
    batch
        .as_input(|input| {
            let column = input.column(0).unwrap();
            let err = column.primitive::<i64>().unwrap_err();
            assert_eq!(err.message(), "column 0 ('t') is timestamp[ms, tz=UTC], expected int64");
            assert_eq!(column.array().as_primitive::<i64>().unwrap().values(), &[1]);
            let err = column.array().as_primitive::<i32>().unwrap_err();
            assert_eq!(err.message(), "column 0 ('t') is timestamp[ms, tz=UTC], expected int32");
            assert_eq!(column.field().data_type().format(), "tsm:UTC");
        })
        .unwrap();
}

fn fixed_case(width: usize, values: &[Option<Vec<u8>>], data_type: DataType) {
    let n = values.len();
    for (start, len) in [(0, n), (1, n - 2), (n, 0)] {
        let mut b = FixedBytesBuilder::new(width);
        b.extend(values.iter().map(|v| v.as_deref()));
        let array = ArrayBuilder::from(b).with_data_type(data_type.clone()).unwrap();
        round_trip(array.slice(start, len), |view| {
            let fixed = view.as_fixed_bytes().unwrap();
            assert_eq!(fixed.width(), width);
            let got: Vec<Option<Vec<u8>>> = fixed.iter().map(|v| v.map(<[u8]>::to_vec)).collect();
            assert_eq!(got, &values[start..start + len], "{data_type}");
            assert!(view.as_primitive::<i64>().is_err());
        });
    }
}

#[test]
fn decimals_fixed_size_binary_and_intervals() {
    let decimals: Vec<Option<Vec<u8>>> = [12345i128, -1, i128::MAX, 0]
        .iter()
        .map(|v| Some(v.to_le_bytes().to_vec()))
        .chain([None])
        .collect();
    fixed_case(16, &decimals, DataType::Decimal128(38, 10));
    fixed_case(16, &decimals, DataType::Decimal128(5, -2));
    let wide: Vec<Option<Vec<u8>>> =
        (0..5u8).map(|i| if i == 2 { None } else { Some(vec![i.wrapping_mul(37); 32]) }).collect();
    fixed_case(32, &wide, DataType::Decimal256(76, 40));
    fixed_case(4, &[Some(vec![1, 2, 3, 4]), None, Some(vec![0; 4])], DataType::Decimal32(9, 2));
    fixed_case(8, &[Some(vec![1; 8]), None, Some(vec![0; 8])], DataType::Decimal64(18, 3));
    let day_time: Vec<Option<Vec<u8>>> = [(1i32, 500i32), (-3, 0), (0, 86_399_999)]
        .iter()
        .map(|(d, ms)| Some([d.to_le_bytes(), ms.to_le_bytes()].concat()))
        .chain([None])
        .collect();
    fixed_case(8, &day_time, DataType::Interval(IntervalUnit::DayTime));
    let mdn: Vec<Option<Vec<u8>>> = [(1i32, 2i32, 3i64), (-1, 0, i64::MAX)]
        .iter()
        .map(|(m, d, ns)| {
            Some([&m.to_le_bytes()[..], &d.to_le_bytes(), &ns.to_le_bytes()].concat())
        })
        .chain([None, Some(vec![0; 16])])
        .collect();
    fixed_case(16, &mdn, DataType::Interval(IntervalUnit::MonthDayNano));
    let fsb: Vec<Option<Vec<u8>>> =
        vec![Some(b"abcde".to_vec()), None, Some(vec![0xFF; 5]), Some(vec![0; 5])];
    fixed_case(5, &fsb, DataType::FixedSizeBinary(5));
    fixed_case(0, &[Some(vec![]), None, Some(vec![])], DataType::FixedSizeBinary(0));

    let mut b = FixedBytesBuilder::new(16);
    b.append_value(&(-12345i128).to_le_bytes());
    b.append_null();
    let array = ArrayBuilder::from(b).with_data_type(DataType::Decimal128(10, 2)).unwrap();
    round_trip(array, |view| {
        let fixed = view.as_fixed_bytes().unwrap();
        assert_eq!((fixed.get_i128(0), fixed.get_i128(1)), (Some(-12345), None));
        assert_eq!(view.field().data_type().format(), "d:10,2");
    });
}

#[test]
fn strings_and_binaries() {
    let text = [Some("héllo"), None, Some(""), Some("∂x"), Some("wörld"), None];
    let n = text.len();
    let owned: Vec<Option<String>> = text.iter().map(|v| v.map(String::from)).collect();
    let bytes: Vec<Option<Vec<u8>>> =
        text.iter().map(|v| v.map(|s| s.as_bytes().to_vec())).collect();
    for (start, len) in [(0, n), (1, 4), (n, 0)] {
        let range = start..start + len;
        let b: Utf8Builder = text.iter().copied().collect();
        round_trip(ArrayBuilder::from(b).slice(start, len), |view| {
            assert_eq!(str_values(view), &owned[range.clone()]);
            assert!(view.as_binary().is_err() && view.as_large_utf8().is_err());
        });
        let b: LargeUtf8Builder = text.iter().copied().collect();
        round_trip(ArrayBuilder::from(b).slice(start, len), |view| {
            let got: Vec<_> =
                view.as_large_utf8().unwrap().iter().map(|v| v.map(String::from)).collect();
            assert_eq!(got, &owned[range.clone()]);
            assert_eq!(view.data_type(), &DataType::LargeUtf8);
        });
        let b: BinaryBuilder = bytes.iter().cloned().collect();
        round_trip(ArrayBuilder::from(b).slice(start, len), |view| {
            let got: Vec<_> =
                view.as_binary().unwrap().iter().map(|v| v.map(<[u8]>::to_vec)).collect();
            assert_eq!(got, &bytes[range.clone()]);
        });
        let b: LargeBinaryBuilder = bytes.iter().cloned().collect();
        round_trip(ArrayBuilder::from(b).slice(start, len), |view| {
            let got: Vec<_> =
                view.as_large_binary().unwrap().iter().map(|v| v.map(<[u8]>::to_vec)).collect();
            assert_eq!(got, &bytes[range.clone()]);
        });
    }
    // Only empty strings: a data buffer of no bytes.
    round_trip(strings(&[Some(""), Some("")]), |view| {
        assert_eq!(str_values(view), [Some(String::new()), Some(String::new())]);
    });
}

#[test]
fn utf8_view_and_binary_view() {
    let text: Vec<Option<String>> =
        (0..40).map(|i| if i % 7 == 3 { None } else { Some("é".repeat(i % 17)) }).collect();
    let n = text.len();
    for (start, len) in [(0, n), (5, 30), (n, 0)] {
        let mut b = Utf8ViewBuilder::new().with_block_size(40);
        b.extend(text.iter().cloned());
        round_trip(ArrayBuilder::from(b).slice(start, len), |view| {
            assert!(view.num_buffers() > 5, "several variadic buffers");
            let v = view.as_utf8_view().unwrap();
            let got: Vec<_> = v.iter().map(|v| v.map(String::from)).collect();
            assert_eq!(got, &text[start..start + len]);
            assert_eq!(v.as_binary().num_data_buffers(), view.num_buffers() - 3);
        });
        let mut b = BinaryViewBuilder::new().with_block_size(40);
        b.extend(text.iter().map(|v| v.as_ref().map(|s| s.as_bytes())));
        round_trip(ArrayBuilder::from(b).slice(start, len), |view| {
            let got: Vec<_> = view
                .as_binary_view()
                .unwrap()
                .iter()
                .map(|v| v.map(|b| String::from_utf8(b.to_vec()).unwrap()))
                .collect();
            assert_eq!(got, &text[start..start + len]);
        });
    }
    // No value longer than 12 bytes: no variadic buffer, only the sizes buffer.
    let b: Utf8ViewBuilder = [Some("short"), None].into_iter().collect();
    round_trip(b.into(), |view| {
        assert_eq!(view.num_buffers(), 3);
        assert_eq!(view.as_utf8_view().unwrap().get(0), Some("short"));
    });
}

#[test]
fn lists_and_large_lists() {
    let lengths = [Some(2), None, Some(0), Some(3), Some(1)];
    let items = || ints(&[Some(1), Some(2), Some(3), None, Some(5), Some(6)]);
    let expected: Vec<Option<Vec<Option<i32>>>> = vec![
        Some(vec![Some(1), Some(2)]),
        None,
        Some(vec![]),
        Some(vec![Some(3), None, Some(5)]),
        Some(vec![Some(6)]),
    ];
    for large in [false, true] {
        for (start, len) in [(0, 5), (1, 3), (5, 0)] {
            let list = if large {
                ArrayBuilder::new_large_list(items(), lengths.iter().copied()).unwrap()
            } else {
                ArrayBuilder::new_list(items(), lengths.iter().copied()).unwrap()
            };
            round_trip(list.slice(start, len), |view| {
                let list = view.as_list().unwrap();
                let got: Vec<_> = list.iter().map(|v| v.map(|v| int_values(&v))).collect();
                assert_eq!(got, &expected[start..start + len]);
                assert_eq!(view.child(0).name(), "item");
                assert_eq!(view.data_type().name(), if large { "large_list" } else { "list" });
            });
        }
    }
    // Lists of lists of strings.
    let inner =
        ArrayBuilder::new_list(strings(&[Some("a"), Some("b"), None]), [Some(1), Some(2)]).unwrap();
    let outer = ArrayBuilder::new_list(inner, [Some(2), None]).unwrap();
    round_trip(outer, |view| {
        let outer = view.as_list().unwrap();
        assert!(outer.is_null(1));
        let inner = outer.get(0).unwrap().as_list().unwrap();
        assert_eq!(str_values(&inner.value(1)), [Some("b".to_string()), None]);
        assert_eq!(view.data_type().to_string(), "list<item: list<item: utf8>>");
    });
}

#[test]
fn fixed_size_lists() {
    let items = || ints(&(0..12).map(|i| if i == 4 { None } else { Some(i) }).collect::<Vec<_>>());
    let validity = [true, false, true, true];
    for (start, len) in [(0, 4), (1, 3), (4, 0)] {
        let list = ArrayBuilder::new_fixed_size_list(items(), 3, 4, Some(&validity)).unwrap();
        round_trip(list.slice(start, len), |view| {
            let list = view.as_list().unwrap();
            assert_eq!(list.fixed_size(), Some(3));
            for i in 0..len {
                let slot = start + i;
                assert_eq!(list.is_valid(i), validity[slot]);
                let expected: Vec<_> = (slot * 3..slot * 3 + 3)
                    .map(|v| if v == 4 { None } else { Some(v as i32) })
                    .collect();
                assert_eq!(int_values(&list.value(i)), expected);
            }
        });
    }
    let empty = ArrayBuilder::new_fixed_size_list(ints(&[]), 0, 3, None).unwrap();
    round_trip(empty, |view| {
        let list = view.as_list().unwrap();
        assert_eq!((list.len(), list.value_length(2)), (3, 0));
    });
}

#[test]
fn list_views() {
    // Ranges out of order, overlapping, and a null.
    let slots = [Some((3, 2)), Some((0, 4)), None, Some((5, 0)), Some((1, 1))];
    let items = || ints(&[Some(0), Some(1), None, Some(3), Some(4)]);
    for large in [false, true] {
        for (start, len) in [(0, 5), (1, 3), (5, 0)] {
            let list = if large {
                ArrayBuilder::new_large_list_view(items(), slots.iter().copied()).unwrap()
            } else {
                ArrayBuilder::new_list_view(items(), slots.iter().copied()).unwrap()
            };
            round_trip(list.slice(start, len), |view| {
                let list = view.as_list().unwrap();
                for i in 0..len {
                    match slots[start + i] {
                        None => assert!(list.is_null(i)),
                        Some((o, s)) => {
                            assert_eq!(list.value_range(i), o..o + s);
                            let expected: Vec<_> = (o..o + s)
                                .map(|v| if v == 2 { None } else { Some(v as i32) })
                                .collect();
                            assert_eq!(int_values(&list.get(i).unwrap()), expected);
                        }
                    }
                }
            });
        }
    }
    assert!(ArrayBuilder::new_list_view(items(), [Some((4, 2))]).is_err());
}

#[test]
fn structs() {
    let build = || {
        let a = ints(&[Some(1), None, Some(3), Some(4)]).with_name("a");
        let b =
            strings(&[Some("w"), Some("x"), None, Some("z")]).with_name("b").with_nullable(true);
        ArrayBuilder::new_struct(4, vec![a, b], Some(&[true, true, false, true])).unwrap()
    };
    for (start, len) in [(0, 4), (1, 3), (4, 0)] {
        round_trip(build().slice(start, len), |view| {
            let s = view.as_struct().unwrap();
            assert_eq!(s.num_columns(), 2);
            let all_a = [Some(1), None, Some(3), Some(4)];
            assert_eq!(int_values(&s.column(0)), &all_a[start..start + len]);
            let b = str_values(&s.column_by_name("b").unwrap());
            let all_b = [Some("w"), Some("x"), None, Some("z")].map(|v| v.map(String::from));
            assert_eq!(b, &all_b[start..start + len]);
            assert_eq!(
                (0..len).filter(|&i| s.is_null(i)).count(),
                usize::from(start + len > 2 && start <= 2)
            );
            assert!(s.find_column("c").is_none());
        });
    }
    let empty = ArrayBuilder::new_struct(3, vec![], Some(&[false, true, false])).unwrap();
    round_trip(empty, |view| {
        assert_eq!((view.len(), view.null_count(), view.num_children()), (3, 2, 0));
        assert_eq!(view.data_type(), &DataType::Struct(vec![]));
    });
}

#[test]
fn maps() {
    let keys: ArrayBuilder = strings(&[Some("a"), Some("b"), Some("c"), Some("a")]);
    let values = ints(&[Some(1), None, Some(3), Some(4)]);
    let map = ArrayBuilder::new_map(keys, values, [Some(2), None, Some(0), Some(2)], true).unwrap();
    round_trip(map.slice(1, 3), |view| {
        assert!(matches!(view.data_type(), DataType::Map(_, true)));
        assert_eq!(
            view.data_type().to_string(),
            "map<entries: struct<key: utf8 not null, value: int32> not null>[keys sorted]"
        );
        let map = view.as_list().unwrap();
        assert!(map.is_null(0));
        assert_eq!(map.value_length(1), 0);
        let entries = map.get(2).unwrap().as_struct().unwrap();
        assert_eq!(str_values(&entries.column(0)), [Some("c".to_string()), Some("a".to_string())]);
        assert_eq!(int_values(&entries.column_by_name("value").unwrap()), [Some(3), Some(4)]);
    });
    let keys = strings(&[Some("a"), None]);
    let err =
        ArrayBuilder::new_map(keys, ints(&[Some(1), Some(2)]), [Some(2)], false).err().unwrap();
    assert_eq!(err.message(), "map keys must not be null");
}

#[test]
fn unions() {
    for mode in [UnionMode::Sparse, UnionMode::Dense] {
        let type_ids = [5i8, 2, 5, 5, 2];
        let members = |sparse: bool| {
            let n = if sparse { 5 } else { 3 };
            let a = ints(
                &(0..n)
                    .map(|i| if i == 1 { None } else { Some(i as i32 * 10) })
                    .collect::<Vec<_>>(),
            );
            let b =
                strings(&(0..n).map(|i| Some(["p", "q", "r", "s", "t"][i])).collect::<Vec<_>>());
            vec![(5, a.with_name("a")), (2, b.with_name("b"))]
        };
        let union = match mode {
            UnionMode::Sparse => ArrayBuilder::new_sparse_union(members(true), &type_ids).unwrap(),
            UnionMode::Dense => {
                ArrayBuilder::new_dense_union(members(false), &type_ids, &[0, 0, 1, 2, 1]).unwrap()
            }
        };
        for (start, len) in [(0, 5), (1, 3), (5, 0)] {
            let union = union.clone();
            round_trip(union.slice(start, len), |view| {
                let u = view.as_union().unwrap();
                assert_eq!((u.mode(), u.declared_type_ids()), (mode, &[5, 2][..]));
                assert_eq!(
                    view.data_type().format(),
                    if mode == UnionMode::Sparse { "+us:5,2" } else { "+ud:5,2" }
                );
                for i in 0..len {
                    let slot = start + i;
                    assert_eq!(u.type_id(i), type_ids[slot]);
                    let value = u.value(i);
                    let expected_offset = match mode {
                        UnionMode::Sparse => slot,
                        UnionMode::Dense => [0, 0, 1, 2, 1][slot],
                    };
                    if type_ids[slot] == 5 {
                        let expected = if expected_offset == 1 {
                            None
                        } else {
                            Some(expected_offset as i32 * 10)
                        };
                        assert_eq!(int_values(&value), [expected]);
                        assert_eq!(u.is_null(i), expected.is_none());
                    } else {
                        assert_eq!(
                            str_values(&value),
                            [Some(["p", "q", "r", "s", "t"][expected_offset].to_string())]
                        );
                    }
                }
            });
        }
    }
    let err = ArrayBuilder::new_sparse_union(vec![(1, ints(&[Some(1)]))], &[2]).err().unwrap();
    assert_eq!(err.message(), "union slot 0 has the undeclared type id 2");
}

#[test]
fn dictionaries() {
    let values = || strings(&[Some("zero"), Some("one"), None, Some("three")]);
    let words = [Some("zero"), Some("one"), None, Some("three")];
    let keys = [Some(3), None, Some(0), Some(2), Some(1), Some(3)];
    // Each index type, with the expected value of each slot.
    let index_arrays: Vec<ArrayBuilder> = vec![
        keys.iter().map(|k| k.map(|k| k as i8)).collect::<PrimitiveBuilder<i8>>().into(),
        keys.iter().map(|k| k.map(|k| k as u8)).collect::<PrimitiveBuilder<u8>>().into(),
        keys.iter().map(|k| k.map(|k| k as i16)).collect::<PrimitiveBuilder<i16>>().into(),
        keys.iter().map(|k| k.map(|k| k as u16)).collect::<PrimitiveBuilder<u16>>().into(),
        keys.iter().map(|k| k.map(|k| k as i32)).collect::<PrimitiveBuilder<i32>>().into(),
        keys.iter().map(|k| k.map(|k| k as u32)).collect::<PrimitiveBuilder<u32>>().into(),
        keys.iter().map(|k| k.map(|k| k as i64)).collect::<PrimitiveBuilder<i64>>().into(),
        keys.iter().map(|k| k.map(|k| k as u64)).collect::<PrimitiveBuilder<u64>>().into(),
    ];
    for (n, indices) in index_arrays.into_iter().enumerate() {
        let ordered = n % 2 == 0;
        let dict = ArrayBuilder::new_dictionary(indices, values(), ordered).unwrap();
        for (start, len) in [(0, 6), (2, 3), (6, 0)] {
            round_trip(dict.clone().slice(start, len), |view| {
                let d = view.as_dictionary().unwrap();
                assert!(d.index_type().is_integer());
                assert_eq!(d.is_ordered(), ordered);
                assert_eq!(d.values().len(), 4);
                for i in 0..len {
                    let key = keys[start + i];
                    assert_eq!(d.key(i), key);
                    let got = d.get(i).map(|v| v.as_utf8().unwrap().get(0));
                    assert_eq!(got, key.map(|k| words[k]));
                }
                assert_eq!(
                    view.null_count(),
                    keys[start..start + len].iter().filter(|k| k.is_none()).count()
                );
            });
        }
    }
    // Nested dictionary values, and keys read as their type.
    let lists =
        ArrayBuilder::new_list(ints(&[Some(1), Some(2), Some(3)]), [Some(1), Some(2)]).unwrap();
    let indices: PrimitiveBuilder<i32> = [Some(1), Some(0), Some(1)].into_iter().collect();
    let dict = ArrayBuilder::new_dictionary(indices.into(), lists, false).unwrap();
    round_trip(dict, |view| {
        let d = view.as_dictionary().unwrap();
        assert_eq!(d.keys::<i32>().unwrap().values(), &[1, 0, 1]);
        assert!(d.keys::<i64>().is_err());
        let first = d.get(0).unwrap().as_list().unwrap();
        assert_eq!(int_values(&first.value(0)), [Some(2), Some(3)]);
        assert!(view.as_primitive::<i32>().is_err());
    });
    let indices: PrimitiveBuilder<i8> = [Some(4)].into_iter().collect();
    let err = ArrayBuilder::new_dictionary(indices.into(), values(), false).err().unwrap();
    assert_eq!(err.message(), "dictionary index at slot 0 outside the 4 values");
    let err = ArrayBuilder::new_dictionary(strings(&[]), values(), false).err().unwrap();
    assert_eq!(err.message(), "dictionary indices of type utf8, expected an integer");
}

#[test]
fn run_end_encoded() {
    // Runs: [0, 2) "a", [2, 3) null, [3, 7) "c".
    let expected = [Some("a"), Some("a"), None, Some("c"), Some("c"), Some("c"), Some("c")];
    let run_end_arrays: Vec<ArrayBuilder> = vec![
        [Some(2i16), Some(3), Some(7)].into_iter().collect::<PrimitiveBuilder<i16>>().into(),
        [Some(2i32), Some(3), Some(7)].into_iter().collect::<PrimitiveBuilder<i32>>().into(),
        [Some(2i64), Some(3), Some(7)].into_iter().collect::<PrimitiveBuilder<i64>>().into(),
    ];
    for run_ends in run_end_arrays {
        let ree =
            ArrayBuilder::new_run_end_encoded(run_ends, strings(&[Some("a"), None, Some("c")]))
                .unwrap();
        for (start, len) in [(0, 7), (1, 4), (3, 4), (7, 0)] {
            round_trip(ree.clone().slice(start, len), |view| {
                assert_eq!((view.num_buffers(), view.null_count()), (0, 0));
                let r = view.as_run_end().unwrap();
                assert_eq!(r.num_runs(), 3);
                assert_eq!(r.run_ends().name(), "run_ends");
                let got: Vec<_> = r.iter().map(|v| v.as_utf8().unwrap().get(0)).collect();
                assert_eq!(got, &expected[start..start + len]);
                assert_eq!(
                    (0..len).filter(|&i| r.is_null(i)).count(),
                    usize::from(start <= 2 && 2 < start + len)
                );
                if len > 0 {
                    assert_eq!(r.physical_index(len - 1), if start + len > 3 { 2 } else { 1 });
                }
            });
        }
    }
    let bad: PrimitiveBuilder<i32> = [Some(2), Some(2)].into_iter().collect();
    let err =
        ArrayBuilder::new_run_end_encoded(bad.into(), ints(&[Some(1), Some(2)])).err().unwrap();
    assert_eq!(err.message(), "run ends must be non-null, positive and increasing");
    let empty: PrimitiveBuilder<i32> = PrimitiveBuilder::new();
    let ree = ArrayBuilder::new_run_end_encoded(empty.into(), ints(&[])).unwrap();
    round_trip(ree, |view| assert_eq!(view.as_run_end().unwrap().len(), 0));
}

/// list<struct<a: list<int32>, m: map<utf8, dictionary<int8, struct<x: utf8_view>>>,
/// u: dense_union<0=r: run_end_encoded<int32, list_view<fixed_size_list<large_utf8>[2]>>>>>
#[test]
fn deep_nesting() {
    let a = ArrayBuilder::new_list(ints(&[Some(1), Some(2), None]), [Some(2), Some(0), Some(1)])
        .unwrap()
        .with_name("a");
    let x: Utf8ViewBuilder =
        [Some("a string longer than twelve"), Some("short")].into_iter().collect();
    let dict_values =
        ArrayBuilder::new_struct(2, vec![ArrayBuilder::from(x).with_name("x")], None).unwrap();
    let indices: PrimitiveBuilder<i8> = [Some(0), Some(1), None, Some(0)].into_iter().collect();
    let dict = ArrayBuilder::new_dictionary(indices.into(), dict_values, false).unwrap();
    let keys = strings(&[Some("k1"), Some("k2"), Some("k3"), Some("k4")]);
    let m =
        ArrayBuilder::new_map(keys, dict, [Some(1), Some(3), None], false).unwrap().with_name("m");
    let large: LargeUtf8Builder = (0..8).map(|i| Some(format!("s{i}"))).collect();
    let fsl =
        ArrayBuilder::new_fixed_size_list(large.into(), 2, 4, Some(&[true, false, true, true]))
            .unwrap();
    let lv = ArrayBuilder::new_list_view(fsl, [Some((2, 2)), Some((0, 1))]).unwrap();
    let run_ends: PrimitiveBuilder<i32> = [Some(1), Some(3)].into_iter().collect();
    let ree = ArrayBuilder::new_run_end_encoded(run_ends.into(), lv).unwrap().with_name("r");
    let u = ArrayBuilder::new_dense_union(vec![(0, ree)], &[0, 0, 0], &[2, 0, 1])
        .unwrap()
        .with_name("u");
    let s = ArrayBuilder::new_struct(3, vec![a, m, u], Some(&[true, true, false])).unwrap();
    let list = ArrayBuilder::new_list(s, [Some(2), Some(1)]).unwrap();
    round_trip(list, |view| {
        let outer = view.as_list().unwrap();
        let s = outer.value(0).as_struct().unwrap();
        // s[1].m: map slot 1 has 3 entries (k2, k3, k4).
        let m = s.column_by_name("m").unwrap().as_list().unwrap();
        let entries = m.get(1).unwrap().as_struct().unwrap();
        assert_eq!(str_values(&entries.column(0)), ["k2", "k3", "k4"].map(|k| Some(k.to_string())));
        let d = entries.column(1).as_dictionary().unwrap();
        assert_eq!(d.key(1), None);
        let x = d.get(0).unwrap().as_struct().unwrap().column(0);
        assert_eq!(x.as_utf8_view().unwrap().get(0), Some("short"));
        // s[1].u = ree slot 0 = list view (2, 2) of fixed-size lists: [s4, s5], [s6, s7].
        let u = s.column(2).as_union().unwrap();
        let ree = u.value(1).as_run_end().unwrap();
        assert_eq!(ree.physical_index(0), 0);
        let lv = ree.value(0).as_list().unwrap();
        let fsl = lv.value(0).as_list().unwrap();
        let pair = fsl.value(1).as_large_utf8().unwrap();
        assert_eq!(pair.iter().collect::<Vec<_>>(), [Some("s6"), Some("s7")]);
        assert_eq!(s.len(), 2);
        assert!(outer.value(1).as_struct().unwrap().is_null(0));
        assert_eq!(fsl.value(1).path(), "column 0 ('')[item].u.r.values[item][item]");
    });
}

#[test]
fn metadata_round_trips_everywhere() {
    let meta = |k: &str| Metadata::new().with(k, "v").with("é", "∂");
    let value = ints(&[Some(7)]).with_metadata(meta("dictionary value"));
    let indices: PrimitiveBuilder<u8> = [Some(0), Some(0)].into_iter().collect();
    let dict = ArrayBuilder::new_dictionary(indices.into(), value, true)
        .unwrap()
        .with_name("d")
        .with_metadata(meta("dict"));
    let items = ints(&[Some(1)]).with_name("element").with_metadata(meta("item"));
    let list = ArrayBuilder::new_list(items, [Some(1), Some(0)]).unwrap().with_name("l");
    let s = ArrayBuilder::new_struct(2, vec![dict, list], None)
        .unwrap()
        .with_name("s")
        .with_metadata(meta("struct"));
    let batch = OutputBatch::new(2)
        .with_array(s)
        .unwrap()
        .with_metadata(Metadata::new().with("batch", "level").with("", ""));
    let field = batch.as_input(|input| {
        assert_eq!(input.metadata(), &Metadata::new().with("batch", "level").with("", ""));
        let s = input.column(0).unwrap();
        assert_eq!(s.metadata().get("struct"), Some("v"));
        let view = s.array();
        let d = view.child(0);
        assert_eq!((d.metadata().get("dict"), d.metadata().get("é")), (Some("v"), Some("∂")));
        assert_eq!(d.dictionary().unwrap().metadata().get("dictionary value"), Some("v"));
        assert_eq!(view.child(1).child(0).metadata().get("item"), Some("v"));
        assert_eq!(view.child(1).child(0).name(), "element");
        // The identity: copy every column and the batch metadata.
        let mut out = OutputBatch::new(input.num_rows()).with_metadata(input.metadata().clone());
        for column in input.columns() {
            out = out.with_array(ArrayBuilder::copy_of(&column.array()).unwrap()).unwrap();
        }
        let field = s.field().clone();
        out.as_input(|copy| {
            assert_eq!(copy.metadata(), input.metadata());
            assert_eq!(copy.column(0).unwrap().field(), &field);
        })
        .unwrap();
        field
    });
    assert!(field
        .unwrap()
        .data_type()
        .to_string()
        .starts_with("struct<d: dictionary<uint8, int32, ordered>"));
}

#[test]
fn from_parts_offsets_that_do_not_start_at_zero() {
    let offsets: Vec<u8> = [3i32, 5, 5, 8].iter().flat_map(|o| o.to_le_bytes()).collect();
    let field = Field::new("s", DataType::Utf8, true);
    let array = ArrayBuilder::from_parts(
        field.clone(),
        3,
        0,
        Some(1),
        vec![Some(vec![0b101]), Some(offsets.clone()), Some(b"xxxabcdef".to_vec())],
        vec![],
        None,
    )
    .unwrap();
    round_trip(array, |view| {
        assert_eq!(str_values(view), [Some("ab".to_string()), None, Some("cde".to_string())]);
    });
    let items =
        ints(&[Some(0), Some(1), Some(2), Some(3), Some(4), Some(5), Some(6), Some(7), Some(8)])
            .with_name("item");
    let list_field = Field::new("l", DataType::List(Box::new(items.field().clone())), true);
    let list = ArrayBuilder::from_parts(
        list_field.clone(),
        3,
        0,
        Some(0),
        vec![None, Some(offsets)],
        vec![items.clone()],
        None,
    )
    .unwrap();
    round_trip(list, |view| {
        let list = view.as_list().unwrap();
        assert_eq!(int_values(&list.value(0)), [Some(3), Some(4)]);
        assert_eq!(int_values(&list.value(2)), [Some(5), Some(6), Some(7)]);
    });
    let err =
        ArrayBuilder::from_parts(field, 3, 0, Some(0), vec![None, Some(vec![0; 8])], vec![], None)
            .err()
            .unwrap();
    assert_eq!(err.message(), "array s: utf8 has 2 buffers, expected 3");
    let err = ArrayBuilder::from_parts(
        list_field,
        1,
        0,
        Some(0),
        vec![None, Some(vec![0; 8])],
        vec![ints(&[])],
        None,
    )
    .err()
    .unwrap();
    assert!(err.message().contains("that its type does not name"), "{err}");
}

#[test]
fn builder_errors() {
    let err = ArrayBuilder::from(BoolBuilder::new()).with_data_type(DataType::Int8).err().unwrap();
    assert_eq!(err.message(), "cannot view bool as int8: their layouts differ");
    assert_eq!(err.kind(), ErrorKind::Execution);
    let err = OutputBatch::new(2).with_array(ints(&[Some(1)]).with_name("x")).err().unwrap();
    assert_eq!(err.message(), "output column 'x' has 1 rows, the batch has 2");
    let child = ints(&[Some(1)]).with_name("a\0b");
    let s = ArrayBuilder::new_struct(1, vec![child], None).unwrap().with_name("s");
    let err = OutputBatch::new(1).with_array(s).err().unwrap();
    assert_eq!(err.message(), "output column 's' has a NUL byte in a child name or time zone");
    let err = ArrayBuilder::new_list(ints(&[Some(1)]), [Some(2)]).err().unwrap();
    assert_eq!(err.message(), "list items of 2+ values, but the child has 1");
    let err =
        ArrayBuilder::new_struct(2, vec![ints(&[Some(1)]).with_name("a")], None).err().unwrap();
    assert_eq!(err.message(), "struct field 'a' has 1 values for 2");
    // A list with other child names: the same layout.
    let list = ArrayBuilder::new_list(ints(&[Some(1)]), [Some(1)]).unwrap();
    let renamed = DataType::List(Box::new(Field::new("$data$", DataType::Int32, false)));
    assert_eq!(list.with_data_type(renamed.clone()).unwrap().data_type(), &renamed);
}

/// `PrimitiveArray::map` keeps nulls and values at every slice offset (bit shifts of the
/// validity that are not multiples of 8) and counts nulls exactly.
#[test]
fn map_is_a_bulk_copy_of_validity() {
    let values: Vec<Option<i64>> =
        (0..77).map(|i| if i % 5 == 3 { None } else { Some(i * 1_000_003) }).collect();
    let n = values.len();
    for start in [0, 1, 7, 8, 9, 13] {
        for len in [0, 1, 8, n - start - 3, n - start] {
            let expected: Vec<Option<i64>> =
                values[start..start + len].iter().map(|v| v.map(|x| x.wrapping_add(1))).collect();
            let b: PrimitiveBuilder<i64> = values.iter().copied().collect();
            round_trip(ArrayBuilder::from(b).slice(start, len), |view| {
                let mapped = view.as_primitive::<i64>().unwrap().map(|x| x.wrapping_add(1));
                round_trip(mapped.into(), |out| {
                    let got: Vec<Option<i64>> = out.as_primitive::<i64>().unwrap().iter().collect();
                    assert_eq!(got, expected, "start {start} len {len}");
                    assert_eq!(out.null_count(), expected.iter().filter(|v| v.is_none()).count());
                });
            });
        }
    }
    // Without a validity bitmap: no nulls, no bitmap written.
    let b: PrimitiveBuilder<i64> = (0..10).map(Some).collect();
    round_trip(b.into(), |view| {
        let out = view.as_primitive::<i64>().unwrap().map(|x| x * 2);
        round_trip(out.into(), |o| assert_eq!(o.null_count(), 0));
    });
}
