//! Guest SDK of wasm-flight: write Arrow user-defined functions in safe Rust and compile them to
//! a `wasm32-unknown-unknown` module that speaks the guest ABI v1 (`proto-docs/abi-v1.md`).
//!
//! A function reads a [`Batch`] through typed zero-copy views ([`PrimitiveView`], [`BoolView`],
//! [`Utf8View`], [`BinaryView`]) and returns an [`OutputBatch`] of columns made with the builders
//! ([`PrimitiveBuilder`], [`BoolBuilder`], [`Utf8Builder`], [`BinaryBuilder`]).
//! [`export_functions!`] turns such functions into the module's exports:
//!
//! ```
//! use wasm_flight_guest::{Batch, OutputBatch, PrimitiveBuilder, Result};
//!
//! fn add_one(input: &Batch) -> Result<OutputBatch> {
//!     let column = input.column(0)?;
//!     let values = column.primitive::<i64>()?;
//!     let out: PrimitiveBuilder<i64> = values.iter().map(|v| v.map(|x| x.wrapping_add(1))).collect();
//!     OutputBatch::new(input.num_rows()).with_column(column.name(), true, out)
//! }
//!
//! wasm_flight_guest::export_functions! {
//!     map add_one => add_one;
//! }
//! # fn main() {}
//! ```

#![deny(unsafe_code)]

mod builder;
mod error;
#[allow(unsafe_code)]
mod ffi;
mod macros;
mod types;
mod view;

pub use builder::{
    BinaryBuilder, BoolBuilder, OutputArray, OutputBatch, PrimitiveBuilder, Utf8Builder,
};
pub use error::{Error, ErrorKind, Result};
pub use ffi::ABI_VERSION;
pub use types::{DataType, Primitive};
pub use view::{Batch, BinaryView, BoolView, Column, PrimitiveView, Utf8View};

/// Used by the expansion of [`export_functions!`]; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::ffi::abi_str;
    pub use crate::macros::{init_entry, map_entry, valid_column_name, valid_name};
}
