// `wf_alloc` / `wf_free` over the runtime's TLSF allocator (`heap.alloc`, 16-byte aligned
// blocks, never touched by the garbage collector), and the blocks of the output batch in flight.

// TLSF blocks are 16-byte aligned; a larger alignment (the ABI allows up to 64) over-allocates
// and keeps the block's real address in the 4 bytes below the aligned pointer.
const HEAP_ALIGN: u32 = 16;
// Larger requests than this cannot be a TLSF block (it would abort): wf_alloc returns 0 instead.
const MAX_BLOCK: u32 = (1 << 30) - 256;

/** `wf_alloc(size, align)`: `size` bytes aligned to `align` (a power of two ≤ 64), or 0. */
export function alloc(size: u32, align: u32): usize {
  if (align == 0 || (align & (align - 1)) != 0 || align > 64 || size > MAX_BLOCK) return 0;
  if (align <= HEAP_ALIGN) {
    return heap.alloc(size == 0 ? 1 : <usize>size);
  }
  const raw = heap.alloc(<usize>size + <usize>align + 4);
  const aligned = (raw + 4 + <usize>align - 1) & ~(<usize>align - 1);
  store<u32>(aligned - 4, <u32>raw);
  return aligned;
}

/** `wf_free(ptr, size, align)`: frees a block from `alloc` with the same size and align. */
export function free(ptr: usize, size: u32, align: u32): void {
  if (ptr == 0) return;
  if (align <= HEAP_ALIGN) {
    heap.free(ptr);
  } else {
    heap.free(<usize>load<u32>(ptr - 4));
  }
}

// The blocks the current output batch uses (column structs, buffers, names). There is at most
// one output batch in flight: the host releases each before the next call.
let outBlocks: usize = 0; // u32 array
let outCount: i32 = 0;
let outCapacity: i32 = 0;

/** A zero-filled block owned by the output batch in flight; freed by `releaseOutput`. */
export function outputBlock(size: usize): usize {
  const ptr = heap.alloc(size == 0 ? 1 : size);
  memory.fill(ptr, 0, size);
  trackOutput(ptr);
  return ptr;
}

/** Makes `ptr` (from `heap.alloc`) part of the output batch in flight. */
export function trackOutput(ptr: usize): void {
  if (outCount == outCapacity) {
    const capacity = outCapacity == 0 ? 16 : outCapacity * 2;
    outBlocks = outBlocks == 0 ? heap.alloc(<usize>capacity << 2)
      : heap.realloc(outBlocks, <usize>capacity << 2);
    outCapacity = capacity;
  }
  store<u32>(outBlocks + (<usize>outCount << 2), <u32>ptr);
  outCount++;
}

/** Replaces a tracked block (after `heap.realloc` moved it). */
export function retrackOutput(oldPtr: usize, newPtr: usize): void {
  for (let i = outCount - 1; i >= 0; i--) {
    const at = outBlocks + (<usize>i << 2);
    if (<usize>load<u32>(at) == oldPtr) {
      store<u32>(at, <u32>newPtr);
      return;
    }
  }
  trackOutput(newPtr);
}

/** Frees every block of the output batch in flight. */
export function releaseOutput(): void {
  for (let i = 0; i < outCount; i++) {
    heap.free(<usize>load<u32>(outBlocks + (<usize>i << 2)));
  }
  outCount = 0;
}
