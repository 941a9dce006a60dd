use std::fmt;

/// The column types of ABI 1.0 (§5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
    Bool,
    Utf8,
    Binary,
}

/// How a type's buffers after the validity bitmap are laid out.
pub(crate) enum Layout {
    /// One values buffer of fixed-width values (byte width).
    Fixed(usize),
    /// One values bitmap.
    Bits,
    /// An `i32` offsets buffer and a data buffer.
    Variable,
}

impl DataType {
    const ALL: [DataType; 13] = [
        DataType::Int8,
        DataType::UInt8,
        DataType::Int16,
        DataType::UInt16,
        DataType::Int32,
        DataType::UInt32,
        DataType::Int64,
        DataType::UInt64,
        DataType::Float32,
        DataType::Float64,
        DataType::Bool,
        DataType::Utf8,
        DataType::Binary,
    ];

    /// The C Data Interface format string, NUL-terminated.
    pub(crate) fn format_nul(self) -> &'static str {
        match self {
            DataType::Int8 => "c\0",
            DataType::UInt8 => "C\0",
            DataType::Int16 => "s\0",
            DataType::UInt16 => "S\0",
            DataType::Int32 => "i\0",
            DataType::UInt32 => "I\0",
            DataType::Int64 => "l\0",
            DataType::UInt64 => "L\0",
            DataType::Float32 => "f\0",
            DataType::Float64 => "g\0",
            DataType::Bool => "b\0",
            DataType::Utf8 => "u\0",
            DataType::Binary => "z\0",
        }
    }

    /// The C Data Interface format string, e.g. `"l"` for int64.
    pub fn format(self) -> &'static str {
        let f = self.format_nul();
        &f[..f.len() - 1]
    }

    /// The type of a C Data Interface format string, if ABI 1.0 carries it.
    pub fn from_format(format: &str) -> Option<DataType> {
        DataType::ALL.iter().copied().find(|t| t.format() == format)
    }

    /// The Arrow name, e.g. `"int64"`; also the type keyword of `output` declarations.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Int8 => "int8",
            DataType::UInt8 => "uint8",
            DataType::Int16 => "int16",
            DataType::UInt16 => "uint16",
            DataType::Int32 => "int32",
            DataType::UInt32 => "uint32",
            DataType::Int64 => "int64",
            DataType::UInt64 => "uint64",
            DataType::Float32 => "float32",
            DataType::Float64 => "float64",
            DataType::Bool => "bool",
            DataType::Utf8 => "utf8",
            DataType::Binary => "binary",
        }
    }

    pub(crate) fn layout(self) -> Layout {
        match self {
            DataType::Int8 | DataType::UInt8 => Layout::Fixed(1),
            DataType::Int16 | DataType::UInt16 => Layout::Fixed(2),
            DataType::Int32 | DataType::UInt32 | DataType::Float32 => Layout::Fixed(4),
            DataType::Int64 | DataType::UInt64 | DataType::Float64 => Layout::Fixed(8),
            DataType::Bool => Layout::Bits,
            DataType::Utf8 | DataType::Binary => Layout::Variable,
        }
    }

    /// Number of buffers, validity included.
    pub(crate) fn n_buffers(self) -> usize {
        match self.layout() {
            Layout::Fixed(_) | Layout::Bits => 2,
            Layout::Variable => 3,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A fixed-width number type that can be viewed in place: `i8`..`i64`, `u8`..`u64`, `f32`, `f64`.
///
/// Sealed: every bit pattern is a valid value and the types have no padding, which the zero-copy
/// views rely on.
pub trait Primitive: sealed::Sealed + Copy + Default + PartialEq + fmt::Debug + 'static {
    const DATA_TYPE: DataType;
}

macro_rules! primitive {
    ($($t:ty => $dt:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Primitive for $t {
            const DATA_TYPE: DataType = DataType::$dt;
        }
    )*};
}

primitive!(
    i8 => Int8, u8 => UInt8, i16 => Int16, u16 => UInt16, i32 => Int32, u32 => UInt32,
    i64 => Int64, u64 => UInt64, f32 => Float32, f64 => Float64
);
