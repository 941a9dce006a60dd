//! The fixed-width value types that views read in place: [`Primitive`], [`F16`], [`Offset`].

use std::fmt;

use crate::DataType;

mod sealed {
    pub trait Sealed {}
}

/// A fixed-width number type that can be viewed in place: `i8`…`i64`, `u8`…`u64`, [`F16`],
/// `f32`, `f64`.
///
/// Sealed: every bit pattern is a valid value and the types have no padding, which the zero-copy
/// views rely on.
pub trait Primitive: sealed::Sealed + Copy + Default + PartialEq + fmt::Debug + 'static {
    /// The Arrow type whose values are exactly `Self` (int64 for `i64`).
    const DATA_TYPE: DataType;

    /// `true` for the types stored as `Self`: [`Primitive::DATA_TYPE`], and for `i32` also
    /// date32, time32 and interval year-month, for `i64` also date64, time64, timestamp and
    /// duration.
    fn stores(data_type: &DataType) -> bool;
}

macro_rules! primitive {
    ($($t:ty => $dt:ident $(| $also:pat)?),*) => {$(
        impl sealed::Sealed for $t {}
        impl Primitive for $t {
            const DATA_TYPE: DataType = DataType::$dt;

            fn stores(data_type: &DataType) -> bool {
                matches!(data_type, DataType::$dt $(| $also)?)
            }
        }
    )*};
}

primitive!(
    i8 => Int8, u8 => UInt8, i16 => Int16, u16 => UInt16,
    i32 => Int32 | DataType::Date32 | DataType::Time32(_)
        | DataType::Interval(crate::IntervalUnit::YearMonth),
    u32 => UInt32,
    i64 => Int64 | DataType::Date64 | DataType::Time64(_) | DataType::Timestamp(..)
        | DataType::Duration(_),
    u64 => UInt64, F16 => Float16, f32 => Float32, f64 => Float64
);

/// An IEEE 754 half-precision float (Arrow float16), kept as its bits. Equality compares bits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct F16(u16);

impl F16 {
    pub const fn from_bits(bits: u16) -> F16 {
        F16(bits)
    }

    pub const fn to_bits(self) -> u16 {
        self.0
    }

    /// The exact `f32` value.
    pub fn to_f32(self) -> f32 {
        let h = u32::from(self.0);
        let sign = (h & 0x8000) << 16;
        let exp = (h >> 10) & 0x1F;
        let mant = h & 0x3FF;
        let magnitude = match exp {
            // Zero or subnormal: mant * 2^-24, exact in f32.
            0 => (mant as f32 * (1.0 / 16_777_216.0)).to_bits(),
            // Infinity or NaN (payload kept).
            0x1F => 0x7F80_0000 | (mant << 13),
            _ => ((exp + 112) << 23) | (mant << 13),
        };
        f32::from_bits(sign | magnitude)
    }

    /// The nearest half-precision value (ties to even); NaN stays NaN.
    pub fn from_f32(value: f32) -> F16 {
        let x = value.to_bits();
        let sign = ((x >> 16) & 0x8000) as u16;
        let exp = ((x >> 23) & 0xFF) as i32;
        let mant = x & 0x7F_FFFF;
        if exp == 0xFF {
            let nan = if mant != 0 { 0x200 | (mant >> 13) as u16 } else { 0 };
            return F16(sign | 0x7C00 | nan);
        }
        let e = exp - 127 + 15;
        if e >= 0x1F {
            return F16(sign | 0x7C00);
        }
        let round = |value: u32, shift: u32| {
            let half = 1u32 << (shift - 1);
            let rest = value & ((1u32 << shift) - 1);
            let mut r = value >> shift;
            if rest > half || (rest == half && r & 1 == 1) {
                r += 1;
            }
            r as u16
        };
        if e <= 0 {
            if e < -10 {
                return F16(sign);
            }
            return F16(sign | round(mant | 0x80_0000, (14 - e) as u32));
        }
        // A carry out of the mantissa correctly rounds up to the next exponent (or infinity).
        F16(sign | round(((e as u32) << 23) | mant, 13))
    }
}

impl fmt::Debug for F16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_f32(), f)
    }
}

impl fmt::Display for F16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_f32(), f)
    }
}

impl From<F16> for f32 {
    fn from(value: F16) -> f32 {
        value.to_f32()
    }
}

/// The offset type of a variable-size layout: `i32` (utf8, binary, list) or `i64` (the large
/// variants).
pub trait Offset: Primitive + Ord + sealed::Sealed {
    /// `true` for `i64` (the large types).
    #[doc(hidden)]
    const LARGE: bool;
    #[doc(hidden)]
    fn to_usize(self) -> Option<usize>;
    #[doc(hidden)]
    fn from_usize(value: usize) -> Option<Self>;
}

impl Offset for i32 {
    const LARGE: bool = false;

    fn to_usize(self) -> Option<usize> {
        usize::try_from(self).ok()
    }

    fn from_usize(value: usize) -> Option<Self> {
        i32::try_from(value).ok()
    }
}

impl Offset for i64 {
    const LARGE: bool = true;

    fn to_usize(self) -> Option<usize> {
        usize::try_from(self).ok()
    }

    fn from_usize(value: usize) -> Option<Self> {
        i64::try_from(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversions() {
        let cases: [(u16, f32); 10] = [
            (0x0000, 0.0),
            (0x8000, -0.0),
            (0x3C00, 1.0),
            (0xC000, -2.0),
            (0x7BFF, 65504.0),
            (0x0001, 5.960_464_5e-8),
            (0x03FF, 6.097_555e-5),
            (0x0400, 6.103_515_6e-5),
            (0x3555, 0.333_251_95),
            (0x7C00, f32::INFINITY),
        ];
        for (bits, value) in cases {
            assert_eq!(F16::from_bits(bits).to_f32().to_bits(), value.to_bits(), "{bits:#x}");
            assert_eq!(F16::from_f32(value).to_bits(), bits, "{value}");
        }
        assert!(F16::from_bits(0x7E00).to_f32().is_nan());
        assert!(F16::from_f32(f32::NAN).to_f32().is_nan());
        assert_eq!(F16::from_f32(65520.0).to_bits(), 0x7C00); // rounds up to infinity
        assert_eq!(F16::from_f32(1.0 + 1.0 / 2048.0).to_bits(), 0x3C00); // tie to even
        assert_eq!(F16::from_f32(1.0 + 3.0 / 2048.0).to_bits(), 0x3C02); // tie to even
        assert_eq!(F16::from_f32(2.980_232_2e-8).to_bits(), 0x0000); // half the least: even
        assert_eq!(F16::from_f32(2.980_233e-8).to_bits(), 0x0001);
        assert_eq!(F16::from_f32(1e-10).to_bits(), 0);
        // Every half value converts to f32 and back unchanged.
        for bits in 0..=u16::MAX {
            let h = F16::from_bits(bits);
            if !h.to_f32().is_nan() {
                assert_eq!(F16::from_f32(h.to_f32()), h, "{bits:#x}");
            }
        }
    }
}
