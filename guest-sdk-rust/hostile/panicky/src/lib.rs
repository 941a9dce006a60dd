//! `panicky`: Rust guests that fail the way real Rust code fails, for the host's tests.
//!
//! - `panic`: panics with a message (with `panic = "abort"` that is a trap; the SDK's panic
//!   hook records the message, which the host adds to the trap it reports);
//! - `alloc_bomb`: allocates 1 MiB blocks until the allocator fails (an abort, i.e. a trap,
//!   after the host refused to grow memory past the session's cap).

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, OutputBatch, PrimitiveBuilder, Result};

pub fn panic(input: &Batch) -> Result<OutputBatch> {
    panic!("the guest panicked on purpose after {} rows", input.num_rows());
}

pub fn alloc_bomb(input: &Batch) -> Result<OutputBatch> {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for i in 0..1_000_000u32 {
        blocks.push(vec![i as u8; 1 << 20]);
    }
    // Read every block so that the allocations cannot be optimized away.
    let sum: i64 = blocks.iter().map(|b| i64::from(b[b.len() - 1])).sum();
    let out: PrimitiveBuilder<i64> = (0..input.num_rows()).map(|_| Some(sum)).collect();
    OutputBatch::new(input.num_rows()).with_column("sum", true, out)
}

wasm_flight_guest::export_functions! {
    map panic => panic;
    map alloc_bomb => alloc_bomb;
}
