// Guest ABI 1.2 constants: status codes and the wasm32 Arrow C Data Interface offsets
// (proto-docs/abi-v1.md, sections 2 and 5). Everything else in the library reads and writes
// the structs through these names only.

/** `(major << 16) | minor`: ABI 1.2. */
export const ABI_VERSION: i32 = 0x00010002;

/** Status codes every entry point returns (abi-v1.md section 2). */
export namespace Status {
  export const OK: i32 = 0;
  export const INVALID_INPUT: i32 = 1;
  export const EXECUTION: i32 = 2;
  export const OUT_OF_MEMORY: i32 = 3;
}

/** `struct ArrowSchema` on wasm32: 48 bytes, alignment 8. */
export namespace ArrowSchema {
  export const SIZE: usize = 48;
  export const FORMAT: usize = 0; // u32 ptr, NUL-terminated
  export const NAME: usize = 4; // u32 ptr, NUL-terminated, may be 0
  export const METADATA: usize = 8; // u32 ptr
  export const FLAGS: usize = 16; // i64
  export const N_CHILDREN: usize = 24; // i64
  export const CHILDREN: usize = 32; // u32 ptr to n_children u32 pointers
  export const DICTIONARY: usize = 36; // u32 ptr
  export const RELEASE: usize = 40; // u32 (function table index; never called by the host)
  export const PRIVATE_DATA: usize = 44; // u32 ptr
}

/** `struct ArrowArray` on wasm32: 64 bytes, alignment 8. */
export namespace ArrowArray {
  export const SIZE: usize = 64;
  export const LENGTH: usize = 0; // i64
  export const NULL_COUNT: usize = 8; // i64, -1 = unknown (output only)
  export const OFFSET: usize = 16; // i64
  export const N_BUFFERS: usize = 24; // i64
  export const N_CHILDREN: usize = 32; // i64
  export const BUFFERS: usize = 40; // u32 ptr to n_buffers u32 pointers
  export const CHILDREN: usize = 44; // u32 ptr to n_children u32 pointers
  export const DICTIONARY: usize = 48; // u32 ptr
  export const RELEASE: usize = 52; // u32
  export const PRIVATE_DATA: usize = 56; // u32 ptr
}

/** `ArrowSchema.flags` bits. */
export const FLAG_NULLABLE: i64 = 2;

/** Human names of the C Data format strings the library reads, for error messages. */
export function formatName(format: string): string {
  if (format == "l") return "int64";
  if (format == "g") return "float64";
  if (format == "u") return "utf8";
  if (format == "i") return "int32";
  if (format == "f") return "float32";
  if (format == "b") return "bool";
  if (format == "U") return "large_utf8";
  if (format == "vu") return "utf8_view";
  if (format == "z") return "binary";
  if (format == "+s") return "struct";
  return "format '" + format + "'";
}
