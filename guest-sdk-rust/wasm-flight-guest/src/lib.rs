//! Guest SDK of wasm-flight: write Arrow user-defined functions in safe Rust and compile them to
//! a `wasm32-unknown-unknown` module that speaks the guest ABI v1 (`proto-docs/abi-v1.md`),
//! version 1.2: every Arrow type of `proto-docs/types.md`, nested at any depth, with metadata
//! and dictionaries.
//!
//! A function reads a [`Batch`] through zero-copy views: the simple typed accessors of a
//! [`Column`] ([`PrimitiveArray`], [`BoolArray`], [`Utf8Array`], [`BinaryArray`]) or the generic
//! [`ArrayView`] of any type ([`Column::array`]) and its typed views. It returns an
//! [`OutputBatch`] of columns made with the typed builders ([`PrimitiveBuilder`],
//! [`Utf8Builder`], …) or the generic [`ArrayBuilder`], which also deep-copies any view
//! ([`ArrayBuilder::copy_of`]). [`export_functions!`] turns such functions into the module's
//! exports:
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
//!
//! Four kinds of function (ABI §6): `map` (an [`OutputBatch`] of as many rows per input
//! batch), `filter` (a [`Selection`] of the input rows), `table` (any number of batches per
//! input batch, emitted into an [`Emitter`] and handed to the host one per call with
//! [`WF_MORE`]) and `aggregate` (a state implementing [`Aggregate`], updated by every batch,
//! whose `finish` emits the result). [`Session`] runs any of them natively through the module's
//! real exports (`WF_FUNCTIONS`), for tests; `README.md` shows each kind.
//!
//! Reading a nested column (`orders`: `list<struct<sku: utf8, qty: int64>>`), checked natively
//! with [`OutputBatch::as_input`]:
//!
//! ```
//! use wasm_flight_guest::{ArrayBuilder, Batch, OutputBatch, PrimitiveBuilder, Result, Utf8Builder};
//!
//! pub fn total_qty(input: &Batch) -> Result<OutputBatch> {
//!     let orders = input.column_by_name("orders")?.array().as_list()?;
//!     let mut totals = PrimitiveBuilder::<i64>::with_capacity(orders.len());
//!     for order in orders.iter() {
//!         totals.push(match order {
//!             None => None, // a null list
//!             Some(lines) => {
//!                 // The row's items: a slice of the list's child, a struct.
//!                 let qty = lines.as_struct()?.column_by_name("qty")?.as_primitive::<i64>()?;
//!                 Some(qty.iter().flatten().sum())
//!             }
//!         });
//!     }
//!     OutputBatch::new(input.num_rows()).with_column("total_qty", true, totals)
//! }
//!
//! # fn main() -> Result<()> {
//! let sku: Utf8Builder = [Some("a"), Some("b"), Some("c")].into_iter().collect();
//! let qty: PrimitiveBuilder<i64> = [Some(2), None, Some(5)].into_iter().collect();
//! let lines = ArrayBuilder::new_struct(
//!     3,
//!     vec![ArrayBuilder::from(sku).with_name("sku"), ArrayBuilder::from(qty).with_name("qty")],
//!     None,
//! )?;
//! let orders = ArrayBuilder::new_list(lines, [Some(2), None, Some(1), Some(0)])?;
//! let batch = OutputBatch::new(4).with_column("orders", true, orders)?;
//! let totals = batch.as_input(total_qty)??.as_input(|out| {
//!     out.column(0).unwrap().primitive::<i64>().unwrap().iter().collect::<Vec<_>>()
//! })?;
//! assert_eq!(totals, [Some(2), None, Some(5), Some(0)]);
//! # Ok(())
//! # }
//! ```

#![deny(unsafe_code)]

// Modules, each depending only on those above it: error, metadata, types, primitive, layout;
// ffi (all the unsafe code: C Data structs, exports, byte casts); view (zero-copy input views);
// import (C Data input -> views); builder (output, its export, `as_input`); selection, emitter
// and aggregate (the 1.2 kinds' types); function (descriptors); entry (the export bodies);
// session (native calls of the exports); macros (`export_functions!`).
mod aggregate;
mod builder;
mod emitter;
mod entry;
mod error;
#[allow(unsafe_code)]
mod ffi;
mod function;
mod import;
mod layout;
mod macros;
mod metadata;
mod primitive;
mod selection;
mod session;
mod types;
mod view;

pub use aggregate::Aggregate;
pub use builder::{
    ArrayBuilder, BinaryBuilder, BinaryViewBuilder, BoolBuilder, FixedBytesBuilder,
    GenericBinaryBuilder, GenericUtf8Builder, LargeBinaryBuilder, LargeUtf8Builder, NullBuilder,
    OutputArray, OutputBatch, PrimitiveBuilder, Utf8Builder, Utf8ViewBuilder,
};
pub use emitter::Emitter;
pub use entry::{WF_MORE, WF_OK};
pub use error::{Error, ErrorKind, Result};
pub use ffi::ABI_VERSION;
pub use function::{Function, FunctionKind};
pub use metadata::Metadata;
pub use primitive::{Offset, Primitive, F16};
pub use selection::Selection;
pub use session::{Session, MAX_CALLS};
pub use types::{DataType, Field, IntervalUnit, TimeUnit, UnionMode};
pub use view::{
    ArrayView, Batch, BinaryArray, BinaryViewArray, Bitmap, BoolArray, Column, DictionaryArray,
    FixedBytesArray, GenericBinaryArray, GenericUtf8Array, LargeBinaryArray, LargeUtf8Array,
    ListArray, NullArray, PrimitiveArray, RunEndArray, StructArray, UnionArray, Utf8Array,
    Utf8ViewArray,
};

/// The names of the typed views before 0.2, kept for code written against them. A typed view
/// is now named like its Arrow type plus `Array` (as in Arrow), matching the builder named like
/// the type plus `Builder`: `Utf8Array` reads what `Utf8Builder` writes, and `Utf8ViewArray`
/// reads Arrow's `utf8_view` type (once `Utf8ViewView`, while `Utf8View` read plain `utf8`).
pub mod renamed {
    #![allow(missing_docs)]
    #[deprecated(note = "renamed to `NullArray`")]
    pub type NullView = crate::NullArray;
    #[deprecated(note = "renamed to `BoolArray`")]
    pub type BoolView<'a> = crate::BoolArray<'a>;
    #[deprecated(note = "renamed to `PrimitiveArray`")]
    pub type PrimitiveView<'a, T> = crate::PrimitiveArray<'a, T>;
    #[deprecated(note = "renamed to `FixedBytesArray`")]
    pub type FixedBytesView<'a> = crate::FixedBytesArray<'a>;
    #[deprecated(note = "renamed to `GenericBinaryArray`")]
    pub type GenericBinaryView<'a, O> = crate::GenericBinaryArray<'a, O>;
    #[deprecated(note = "renamed to `GenericUtf8Array`")]
    pub type GenericUtf8View<'a, O> = crate::GenericUtf8Array<'a, O>;
    #[deprecated(note = "renamed to `BinaryArray`")]
    pub type BinaryView<'a> = crate::BinaryArray<'a>;
    #[deprecated(note = "renamed to `LargeBinaryArray`")]
    pub type LargeBinaryView<'a> = crate::LargeBinaryArray<'a>;
    #[deprecated(note = "renamed to `Utf8Array`")]
    pub type Utf8View<'a> = crate::Utf8Array<'a>;
    #[deprecated(note = "renamed to `LargeUtf8Array`")]
    pub type LargeUtf8View<'a> = crate::LargeUtf8Array<'a>;
    #[deprecated(note = "renamed to `BinaryViewArray`")]
    pub type BinaryViewView<'a> = crate::BinaryViewArray<'a>;
    #[deprecated(note = "renamed to `Utf8ViewArray`")]
    pub type Utf8ViewView<'a> = crate::Utf8ViewArray<'a>;
    #[deprecated(note = "renamed to `ListArray`")]
    pub type ListView<'a> = crate::ListArray<'a>;
    #[deprecated(note = "renamed to `StructArray`")]
    pub type StructView<'a> = crate::StructArray<'a>;
    #[deprecated(note = "renamed to `UnionArray`")]
    pub type UnionView<'a> = crate::UnionArray<'a>;
    #[deprecated(note = "renamed to `DictionaryArray`")]
    pub type DictionaryView<'a> = crate::DictionaryArray<'a>;
    #[deprecated(note = "renamed to `RunEndArray`")]
    pub type RunEndView<'a> = crate::RunEndArray<'a>;
}

/// The Rust code blocks of `README.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Used by the expansion of [`export_functions!`]; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::entry::{
        aggregate_finish_entry, aggregate_update_entry, filter_entry, init_entry, map_entry,
        table_entry, table_finish_entry, State,
    };
    pub use crate::ffi::abi_str;
    pub use crate::function::{BatchEntry, FunctionParts, OutputField, PairEntry};
    pub use crate::macros::{row_index_declared, valid_column_name, valid_name};
}
