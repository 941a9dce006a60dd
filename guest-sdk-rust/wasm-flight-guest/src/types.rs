//! Arrow data types and fields, parsed from and printed as C Data Interface format strings
//! (`proto-docs/types.md`).

use std::fmt;

use crate::Metadata;

/// `ARROW_FLAG_DICTIONARY_ORDERED` in `ArrowSchema::flags`.
pub(crate) const FLAG_DICTIONARY_ORDERED: i64 = 1;
/// `ARROW_FLAG_NULLABLE`.
pub(crate) const FLAG_NULLABLE: i64 = 2;
/// `ARROW_FLAG_MAP_KEYS_SORTED`.
pub(crate) const FLAG_MAP_KEYS_SORTED: i64 = 4;

/// The unit of a time, timestamp or duration type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

impl TimeUnit {
    /// The letter of the format string: `s`, `m`, `u` or `n`.
    fn letter(self) -> char {
        match self {
            TimeUnit::Second => 's',
            TimeUnit::Millisecond => 'm',
            TimeUnit::Microsecond => 'u',
            TimeUnit::Nanosecond => 'n',
        }
    }

    fn from_letter(letter: u8) -> Option<TimeUnit> {
        match letter {
            b's' => Some(TimeUnit::Second),
            b'm' => Some(TimeUnit::Millisecond),
            b'u' => Some(TimeUnit::Microsecond),
            b'n' => Some(TimeUnit::Nanosecond),
            _ => None,
        }
    }

    /// `s`, `ms`, `us` or `ns`.
    pub fn abbreviation(self) -> &'static str {
        match self {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }
    }
}

/// The kind of an interval type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntervalUnit {
    /// `tiM`: months as `i32` (4 bytes).
    YearMonth,
    /// `tiD`: days `i32`, milliseconds `i32` (8 bytes).
    DayTime,
    /// `tin`: months `i32`, days `i32`, nanoseconds `i64` (16 bytes).
    MonthDayNano,
}

/// Sparse or dense union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnionMode {
    /// `+us`: every child has the union's length; buffers: type ids.
    Sparse,
    /// `+ud`: children have any length; buffers: type ids, `i32` offsets.
    Dense,
}

/// An Arrow data type: every type of `proto-docs/types.md`, nested ones with their child
/// [`Field`]s. It is what a C Data `ArrowSchema` tree describes, flags included (dictionary
/// ordering, map keys sorted).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `n`
    Null,
    /// `b`
    Bool,
    /// `c`
    Int8,
    /// `C`
    UInt8,
    /// `s`
    Int16,
    /// `S`
    UInt16,
    /// `i`
    Int32,
    /// `I`
    UInt32,
    /// `l`
    Int64,
    /// `L`
    UInt64,
    /// `e`: IEEE half precision, viewed as [`F16`](crate::F16).
    Float16,
    /// `f`
    Float32,
    /// `g`
    Float64,
    /// `d:P,S,32` (precision, scale): 4-byte two's complement.
    Decimal32(u8, i8),
    /// `d:P,S,64` (precision, scale): 8-byte two's complement.
    Decimal64(u8, i8),
    /// `d:P,S` (precision, scale): 16-byte two's complement, little endian.
    Decimal128(u8, i8),
    /// `d:P,S,256` (precision, scale): 32-byte two's complement, little endian.
    Decimal256(u8, i8),
    /// `tdD`: days since the epoch as `i32`.
    Date32,
    /// `tdm`: milliseconds since the epoch as `i64`.
    Date64,
    /// `tts`, `ttm`: time of day as `i32` (second or millisecond).
    Time32(TimeUnit),
    /// `ttu`, `ttn`: time of day as `i64` (microsecond or nanosecond).
    Time64(TimeUnit),
    /// `ts?:TZ`: `i64` since the epoch, with an optional time zone (an empty zone is `None`).
    Timestamp(TimeUnit, Option<String>),
    /// `tD?`: `i64`.
    Duration(TimeUnit),
    /// `tiM`, `tiD`, `tin`.
    Interval(IntervalUnit),
    /// `z`
    Binary,
    /// `Z`
    LargeBinary,
    /// `w:N`: N bytes per slot.
    FixedSizeBinary(usize),
    /// `vz`
    BinaryView,
    /// `u`
    Utf8,
    /// `U`
    LargeUtf8,
    /// `vu`
    Utf8View,
    /// `+l`: `i32` offsets into one child.
    List(Box<Field>),
    /// `+L`: `i64` offsets into one child.
    LargeList(Box<Field>),
    /// `+w:N`: N child slots per slot.
    FixedSizeList(Box<Field>, usize),
    /// `+vl`: `i32` offsets and sizes into one child.
    ListView(Box<Field>),
    /// `+vL`: `i64` offsets and sizes into one child.
    LargeListView(Box<Field>),
    /// `+s`: one child per field.
    Struct(Vec<Field>),
    /// `+m`: like a list of the `entries` struct field (`key`, `value`); the flag is
    /// `ARROW_FLAG_MAP_KEYS_SORTED`.
    Map(Box<Field>, bool),
    /// `+us:I,J,…` / `+ud:I,J,…`: one child per member; `type_ids[i]` is the id of `fields[i]`.
    Union { mode: UnionMode, type_ids: Vec<i8>, fields: Vec<Field> },
    /// A dictionary-encoded array: `index` is its own (integer) type, `value` the field of the
    /// dictionary (`ArrowSchema.dictionary`), `ordered` the `ARROW_FLAG_DICTIONARY_ORDERED` flag.
    Dictionary { index: Box<DataType>, value: Box<Field>, ordered: bool },
    /// `+r`: children `run_ends` (int16, int32 or int64) and `values`.
    RunEndEncoded(Box<Field>, Box<Field>),
}

impl DataType {
    /// The Arrow name of the type without its parameters, e.g. `"int64"`, `"timestamp"`,
    /// `"list"`; also the type keyword of `output` declarations for the types they support.
    pub fn name(&self) -> &'static str {
        match self {
            DataType::Null => "null",
            DataType::Bool => "bool",
            DataType::Int8 => "int8",
            DataType::UInt8 => "uint8",
            DataType::Int16 => "int16",
            DataType::UInt16 => "uint16",
            DataType::Int32 => "int32",
            DataType::UInt32 => "uint32",
            DataType::Int64 => "int64",
            DataType::UInt64 => "uint64",
            DataType::Float16 => "float16",
            DataType::Float32 => "float32",
            DataType::Float64 => "float64",
            DataType::Decimal32(..) => "decimal32",
            DataType::Decimal64(..) => "decimal64",
            DataType::Decimal128(..) => "decimal128",
            DataType::Decimal256(..) => "decimal256",
            DataType::Date32 => "date32",
            DataType::Date64 => "date64",
            DataType::Time32(_) => "time32",
            DataType::Time64(_) => "time64",
            DataType::Timestamp(..) => "timestamp",
            DataType::Duration(_) => "duration",
            DataType::Interval(IntervalUnit::YearMonth) => "interval_year_month",
            DataType::Interval(IntervalUnit::DayTime) => "interval_day_time",
            DataType::Interval(IntervalUnit::MonthDayNano) => "interval_month_day_nano",
            DataType::Binary => "binary",
            DataType::LargeBinary => "large_binary",
            DataType::FixedSizeBinary(_) => "fixed_size_binary",
            DataType::BinaryView => "binary_view",
            DataType::Utf8 => "utf8",
            DataType::LargeUtf8 => "large_utf8",
            DataType::Utf8View => "utf8_view",
            DataType::List(_) => "list",
            DataType::LargeList(_) => "large_list",
            DataType::FixedSizeList(..) => "fixed_size_list",
            DataType::ListView(_) => "list_view",
            DataType::LargeListView(_) => "large_list_view",
            DataType::Struct(_) => "struct",
            DataType::Map(..) => "map",
            DataType::Union { mode: UnionMode::Sparse, .. } => "sparse_union",
            DataType::Union { mode: UnionMode::Dense, .. } => "dense_union",
            DataType::Dictionary { .. } => "dictionary",
            DataType::RunEndEncoded(..) => "run_end_encoded",
        }
    }

    /// The C Data Interface format string of this node, e.g. `"l"`, `"tsm:UTC"`, `"+w:3"`,
    /// `"+ud:0,5"`; for a dictionary-encoded type the format of its index type. Children,
    /// dictionary and flags are not part of it.
    pub fn format(&self) -> String {
        let simple = match self {
            DataType::Null => "n",
            DataType::Bool => "b",
            DataType::Int8 => "c",
            DataType::UInt8 => "C",
            DataType::Int16 => "s",
            DataType::UInt16 => "S",
            DataType::Int32 => "i",
            DataType::UInt32 => "I",
            DataType::Int64 => "l",
            DataType::UInt64 => "L",
            DataType::Float16 => "e",
            DataType::Float32 => "f",
            DataType::Float64 => "g",
            DataType::Date32 => "tdD",
            DataType::Date64 => "tdm",
            DataType::Interval(IntervalUnit::YearMonth) => "tiM",
            DataType::Interval(IntervalUnit::DayTime) => "tiD",
            DataType::Interval(IntervalUnit::MonthDayNano) => "tin",
            DataType::Binary => "z",
            DataType::LargeBinary => "Z",
            DataType::BinaryView => "vz",
            DataType::Utf8 => "u",
            DataType::LargeUtf8 => "U",
            DataType::Utf8View => "vu",
            DataType::List(_) => "+l",
            DataType::LargeList(_) => "+L",
            DataType::ListView(_) => "+vl",
            DataType::LargeListView(_) => "+vL",
            DataType::Struct(_) => "+s",
            DataType::Map(..) => "+m",
            DataType::RunEndEncoded(..) => "+r",
            DataType::Decimal32(p, s) => return format!("d:{p},{s},32"),
            DataType::Decimal64(p, s) => return format!("d:{p},{s},64"),
            DataType::Decimal128(p, s) => return format!("d:{p},{s}"),
            DataType::Decimal256(p, s) => return format!("d:{p},{s},256"),
            DataType::Time32(u) | DataType::Time64(u) => return format!("tt{}", u.letter()),
            DataType::Timestamp(u, tz) => {
                return format!("ts{}:{}", u.letter(), tz.as_deref().unwrap_or(""))
            }
            DataType::Duration(u) => return format!("tD{}", u.letter()),
            DataType::FixedSizeBinary(n) => return format!("w:{n}"),
            DataType::FixedSizeList(_, n) => return format!("+w:{n}"),
            DataType::Union { mode, type_ids, .. } => {
                let ids: Vec<String> = type_ids.iter().map(|id| id.to_string()).collect();
                let m = if *mode == UnionMode::Sparse { 's' } else { 'd' };
                return format!("+u{m}:{}", ids.join(","));
            }
            DataType::Dictionary { index, .. } => return index.format(),
        };
        simple.to_string()
    }

    /// The type of a C Data Interface format string that needs no children (every type but
    /// lists, structs, maps, unions, run-end encoded and dictionaries), or `None`.
    pub fn from_format(format: &str) -> Option<DataType> {
        match parse_format(format) {
            Ok(Format::Leaf(data_type)) => Some(data_type),
            _ => None,
        }
    }

    /// `true` for the integer types that may index a dictionary (int8 … uint64).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            DataType::Int8
                | DataType::UInt8
                | DataType::Int16
                | DataType::UInt16
                | DataType::Int32
                | DataType::UInt32
                | DataType::Int64
                | DataType::UInt64
        )
    }

    /// `true` for the types with child fields (lists, struct, map, union, run-end encoded).
    /// Dictionaries are not nested: their values are a dictionary, not a child.
    pub fn is_nested(&self) -> bool {
        self.num_children() > 0
            || matches!(
                self,
                DataType::Struct(_) | DataType::Union { .. } | DataType::RunEndEncoded(..)
            )
    }

    /// Number of child fields (C Data `n_children`).
    pub fn num_children(&self) -> usize {
        match self {
            DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::ListView(_)
            | DataType::LargeListView(_)
            | DataType::Map(..) => 1,
            DataType::Struct(fields) | DataType::Union { fields, .. } => fields.len(),
            DataType::RunEndEncoded(..) => 2,
            _ => 0,
        }
    }

    /// The child field at `i`, in C Data order.
    pub fn child(&self, i: usize) -> Option<&Field> {
        match self {
            DataType::List(f)
            | DataType::LargeList(f)
            | DataType::FixedSizeList(f, _)
            | DataType::ListView(f)
            | DataType::LargeListView(f)
            | DataType::Map(f, _)
                if i == 0 =>
            {
                Some(f)
            }
            DataType::Struct(fields) | DataType::Union { fields, .. } => fields.get(i),
            DataType::RunEndEncoded(run_ends, _) if i == 0 => Some(run_ends),
            DataType::RunEndEncoded(_, values) if i == 1 => Some(values),
            _ => None,
        }
    }

    /// The child fields, in C Data order.
    pub fn children(&self) -> impl Iterator<Item = &Field> + '_ {
        (0..self.num_children()).filter_map(move |i| self.child(i))
    }

    /// The dictionary's value field of a dictionary-encoded type.
    pub fn dictionary(&self) -> Option<&Field> {
        match self {
            DataType::Dictionary { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The flags this type contributes to `ArrowSchema::flags`.
    pub(crate) fn flags(&self) -> i64 {
        match self {
            DataType::Dictionary { ordered: true, .. } => FLAG_DICTIONARY_ORDERED,
            DataType::Map(_, true) => FLAG_MAP_KEYS_SORTED,
            _ => 0,
        }
    }

    /// Builds the type of a C Data schema node from its parsed format, flags, children and
    /// dictionary; the error says what does not fit.
    pub(crate) fn from_parts(
        format: Format,
        flags: i64,
        mut children: Vec<Field>,
        dictionary: Option<Field>,
    ) -> Result<DataType, String> {
        let n = children.len();
        let expect = |count: usize| {
            if n == count {
                Ok(())
            } else {
                Err(format!("has {n} children, its type takes {count}"))
            }
        };
        let one = |children: &mut Vec<Field>| Box::new(children.remove(0));
        let data_type = match format {
            Format::Leaf(data_type) => {
                expect(0)?;
                data_type
            }
            Format::List => {
                expect(1)?;
                DataType::List(one(&mut children))
            }
            Format::LargeList => {
                expect(1)?;
                DataType::LargeList(one(&mut children))
            }
            Format::FixedSizeList(size) => {
                expect(1)?;
                DataType::FixedSizeList(one(&mut children), size)
            }
            Format::ListView => {
                expect(1)?;
                DataType::ListView(one(&mut children))
            }
            Format::LargeListView => {
                expect(1)?;
                DataType::LargeListView(one(&mut children))
            }
            Format::Struct => DataType::Struct(children),
            Format::Map => {
                expect(1)?;
                match children[0].data_type() {
                    DataType::Struct(fields) if fields.len() == 2 => {}
                    other => return Err(format!("is a map of {other}, expected a struct of 2")),
                }
                DataType::Map(one(&mut children), flags & FLAG_MAP_KEYS_SORTED != 0)
            }
            Format::Union(mode, type_ids) => {
                expect(type_ids.len())?;
                DataType::Union { mode, type_ids, fields: children }
            }
            Format::RunEndEncoded => {
                expect(2)?;
                let values = Box::new(children.remove(1));
                let run_ends = Box::new(children.remove(0));
                if !matches!(
                    run_ends.data_type(),
                    DataType::Int16 | DataType::Int32 | DataType::Int64
                ) {
                    return Err(format!(
                        "has run ends of type {}, expected int16, int32 or int64",
                        run_ends.data_type()
                    ));
                }
                DataType::RunEndEncoded(run_ends, values)
            }
        };
        match dictionary {
            None => Ok(data_type),
            Some(value) if data_type.is_integer() => Ok(DataType::Dictionary {
                index: Box::new(data_type),
                value: Box::new(value),
                ordered: flags & FLAG_DICTIONARY_ORDERED != 0,
            }),
            Some(_) => Err(format!("has a dictionary but its type {data_type} is no integer")),
        }
    }
}

impl fmt::Display for DataType {
    /// `int64`, `timestamp[ms, tz=UTC]`, `decimal128(10, 2)`, `list<item: int64>`, …
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match self {
            DataType::Decimal32(p, s)
            | DataType::Decimal64(p, s)
            | DataType::Decimal128(p, s)
            | DataType::Decimal256(p, s) => write!(f, "{name}({p}, {s})"),
            DataType::Time32(u) | DataType::Time64(u) | DataType::Duration(u) => {
                write!(f, "{name}[{}]", u.abbreviation())
            }
            DataType::Timestamp(u, None) => write!(f, "{name}[{}]", u.abbreviation()),
            DataType::Timestamp(u, Some(tz)) => {
                write!(f, "{name}[{}, tz={tz}]", u.abbreviation())
            }
            DataType::FixedSizeBinary(n) => write!(f, "{name}[{n}]"),
            DataType::FixedSizeList(item, n) => write!(f, "{name}<{item}>[{n}]"),
            DataType::Map(entries, sorted) => {
                write!(f, "{name}<{entries}>{}", if *sorted { "[keys sorted]" } else { "" })
            }
            DataType::Struct(_) | DataType::Union { .. } | DataType::RunEndEncoded(..) => {
                write!(f, "{name}<")?;
                for (i, child) in self.children().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if let DataType::Union { type_ids, .. } = self {
                        write!(f, "{}=", type_ids[i])?;
                    }
                    write!(f, "{child}")?;
                }
                f.write_str(">")
            }
            DataType::Dictionary { index, value, ordered } => {
                let ordered = if *ordered { ", ordered" } else { "" };
                write!(f, "{name}<{index}, {}{ordered}>", value.data_type())
            }
            _ if self.num_children() == 1 => {
                write!(f, "{name}<{}>", self.child(0).expect("one child"))
            }
            _ => f.write_str(name),
        }
    }
}

/// A named, typed, possibly nullable column or child of a nested type, with its metadata: what
/// one C Data `ArrowSchema` describes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    name: String,
    data_type: DataType,
    nullable: bool,
    metadata: Metadata,
}

impl Field {
    pub fn new(name: impl Into<String>, data_type: DataType, nullable: bool) -> Self {
        Field { name: name.into(), data_type, nullable, metadata: Metadata::new() }
    }

    /// This field with `metadata` instead of its own.
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    pub fn with_nullable(mut self, nullable: bool) -> Self {
        self.nullable = nullable;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    pub fn is_nullable(&self) -> bool {
        self.nullable
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    pub(crate) fn set_data_type(&mut self, data_type: DataType) {
        self.data_type = data_type;
    }

    /// `ArrowSchema::flags` of this field.
    pub(crate) fn flags(&self) -> i64 {
        self.data_type.flags() | if self.nullable { FLAG_NULLABLE } else { 0 }
    }
}

impl fmt::Display for Field {
    /// `name: type`, with ` not null` for a non-nullable field.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.data_type)?;
        if !self.nullable {
            f.write_str(" not null")?;
        }
        Ok(())
    }
}

/// A C Data format string, parsed: one node of a type, without children or dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Format {
    /// A type without children.
    Leaf(DataType),
    List,
    LargeList,
    FixedSizeList(usize),
    ListView,
    LargeListView,
    Struct,
    Map,
    Union(UnionMode, Vec<i8>),
    RunEndEncoded,
}

/// Parses a C Data format string; the error names what is wrong.
pub(crate) fn parse_format(format: &str) -> Result<Format, String> {
    use DataType::*;
    let leaf = |t| Ok(Format::Leaf(t));
    let bad = || Err(format!("has an unknown or malformed format '{format}'"));
    let b = format.as_bytes();
    match format {
        "n" => return leaf(Null),
        "b" => return leaf(Bool),
        "c" => return leaf(Int8),
        "C" => return leaf(UInt8),
        "s" => return leaf(Int16),
        "S" => return leaf(UInt16),
        "i" => return leaf(Int32),
        "I" => return leaf(UInt32),
        "l" => return leaf(Int64),
        "L" => return leaf(UInt64),
        "e" => return leaf(Float16),
        "f" => return leaf(Float32),
        "g" => return leaf(Float64),
        "z" => return leaf(Binary),
        "Z" => return leaf(LargeBinary),
        "vz" => return leaf(BinaryView),
        "u" => return leaf(Utf8),
        "U" => return leaf(LargeUtf8),
        "vu" => return leaf(Utf8View),
        "tdD" => return leaf(Date32),
        "tdm" => return leaf(Date64),
        "tts" => return leaf(Time32(TimeUnit::Second)),
        "ttm" => return leaf(Time32(TimeUnit::Millisecond)),
        "ttu" => return leaf(Time64(TimeUnit::Microsecond)),
        "ttn" => return leaf(Time64(TimeUnit::Nanosecond)),
        "tiM" => return leaf(Interval(IntervalUnit::YearMonth)),
        "tiD" => return leaf(Interval(IntervalUnit::DayTime)),
        "tin" => return leaf(Interval(IntervalUnit::MonthDayNano)),
        "+l" => return Ok(Format::List),
        "+L" => return Ok(Format::LargeList),
        "+vl" => return Ok(Format::ListView),
        "+vL" => return Ok(Format::LargeListView),
        "+s" => return Ok(Format::Struct),
        "+m" => return Ok(Format::Map),
        "+r" => return Ok(Format::RunEndEncoded),
        _ => {}
    }
    if b.len() == 3 && b.starts_with(b"tD") {
        return TimeUnit::from_letter(b[2]).map_or_else(bad, |u| leaf(Duration(u)));
    }
    if b.len() >= 4 && b.starts_with(b"ts") && b[3] == b':' {
        let tz = &format[4..];
        let tz = if tz.is_empty() { None } else { Some(tz.to_string()) };
        return TimeUnit::from_letter(b[2]).map_or_else(bad, |u| leaf(Timestamp(u, tz)));
    }
    let (head, payload) = match format.split_once(':') {
        Some(parts) => parts,
        None => return bad(),
    };
    let size = || payload.parse::<usize>().ok().filter(|n| *n <= i32::MAX as usize);
    match head {
        "w" => size().map_or_else(bad, |n| leaf(FixedSizeBinary(n))),
        "+w" => size().map_or_else(bad, |n| Ok(Format::FixedSizeList(n))),
        "d" => {
            let parts: Vec<&str> = payload.split(',').collect();
            let precision = parts.first().and_then(|p| p.parse::<u8>().ok());
            let scale = parts.get(1).and_then(|s| s.parse::<i8>().ok());
            let bits = match parts.get(2) {
                None => Some(128),
                Some(bits) => bits.parse::<u16>().ok(),
            };
            match (precision, scale, bits, parts.len() <= 3) {
                (Some(p), Some(s), Some(32), true) => leaf(Decimal32(p, s)),
                (Some(p), Some(s), Some(64), true) => leaf(Decimal64(p, s)),
                (Some(p), Some(s), Some(128), true) => leaf(Decimal128(p, s)),
                (Some(p), Some(s), Some(256), true) => leaf(Decimal256(p, s)),
                _ => bad(),
            }
        }
        "+us" | "+ud" => {
            let mode = if head == "+us" { UnionMode::Sparse } else { UnionMode::Dense };
            let mut ids: Vec<i8> = Vec::new();
            if !payload.is_empty() {
                for part in payload.split(',') {
                    match part.parse::<i8>() {
                        Ok(id) if id >= 0 && !ids.contains(&id) => ids.push(id),
                        _ => return bad(),
                    }
                }
            }
            Ok(Format::Union(mode, ids))
        }
        _ => bad(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_leaf_format_round_trips() {
        let formats = [
            "n",
            "b",
            "c",
            "C",
            "s",
            "S",
            "i",
            "I",
            "l",
            "L",
            "e",
            "f",
            "g",
            "z",
            "Z",
            "vz",
            "u",
            "U",
            "vu",
            "tdD",
            "tdm",
            "tts",
            "ttm",
            "ttu",
            "ttn",
            "tiM",
            "tiD",
            "tin",
            "tDs",
            "tDm",
            "tDu",
            "tDn",
            "tss:",
            "tsm:UTC",
            "tsu:Europe/Paris",
            "tsn:+01:00",
            "w:0",
            "w:16",
            "d:10,2",
            "d:76,-3,256",
            "d:9,2,32",
            "d:18,4,64",
        ];
        for format in formats {
            let data_type = DataType::from_format(format).unwrap_or_else(|| panic!("{format}"));
            assert_eq!(data_type.format(), format);
        }
        assert_eq!(DataType::from_format("d:10,2,128").unwrap().format(), "d:10,2");
        for bad in ["", "x", "tsx:", "ts", "tDx", "w:", "w:-1", "d:1", "d:1,2,3", "+us:1,1", "+l"] {
            assert_eq!(DataType::from_format(bad), None, "{bad}");
        }
        assert_eq!(
            parse_format("+ud:0,5,127"),
            Ok(Format::Union(UnionMode::Dense, vec![0, 5, 127]))
        );
        assert_eq!(parse_format("+us:"), Ok(Format::Union(UnionMode::Sparse, vec![])));
        assert_eq!(parse_format("+w:3"), Ok(Format::FixedSizeList(3)));
        assert!(parse_format("+ud:-1").is_err() && parse_format("+ud:128").is_err());
    }

    #[test]
    fn display() {
        let item = Field::new("item", DataType::Int64, true);
        let list = DataType::List(Box::new(item.clone()));
        assert_eq!(list.to_string(), "list<item: int64>");
        let s = DataType::Struct(vec![
            Field::new("a", list, false),
            Field::new("b", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true),
        ]);
        assert_eq!(
            s.to_string(),
            "struct<a: list<item: int64> not null, b: timestamp[ms, tz=UTC]>"
        );
        let u = DataType::Union {
            mode: UnionMode::Dense,
            type_ids: vec![3],
            fields: vec![Field::new("x", DataType::Decimal128(10, 2), true)],
        };
        assert_eq!(u.to_string(), "dense_union<3=x: decimal128(10, 2)>");
        assert_eq!(u.format(), "+ud:3");
        let d = DataType::Dictionary {
            index: Box::new(DataType::UInt8),
            value: Box::new(Field::new("", DataType::Utf8, true)),
            ordered: true,
        };
        assert_eq!(
            (d.to_string(), d.format(), d.flags()),
            ("dictionary<uint8, utf8, ordered>".into(), "C".into(), 1)
        );
        assert_eq!(DataType::Int32.to_string(), "int32");
    }
}
