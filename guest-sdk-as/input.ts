// Read-only views of the input batch the host wrote into guest memory (abi-v1.md 5.1, 5.3):
// a struct array with one child per column. The host owns all of it; the views only read.

import { ArrowArray, ArrowSchema, FLAG_NULLABLE, formatName } from "./abi";
import { invalidInput } from "./error";

@inline function childSchema(schema: usize, i: i32): usize {
  return <usize>load<u32>(<usize>load<u32>(schema + ArrowSchema.CHILDREN) + (<usize>i << 2));
}

@inline function childArray(array: usize, i: i32): usize {
  return <usize>load<u32>(<usize>load<u32>(array + ArrowArray.CHILDREN) + (<usize>i << 2));
}

/** A NUL-terminated UTF-8 string in guest memory, decoded ("" for a null pointer). */
export function cString(ptr: usize): string {
  if (ptr == 0) return "";
  let end = ptr;
  while (load<u8>(end) != 0) end++;
  return String.UTF8.decodeUnsafe(ptr, end - ptr);
}

/** The input batch of one call. */
export class Batch {
  /** Row count. */
  readonly rows: i32;
  /** Column count. */
  readonly columns: i32;

  constructor(readonly schema: usize, readonly array: usize) {
    this.rows = <i32>load<i64>(array + ArrowArray.LENGTH);
    this.columns = <i32>load<i64>(array + ArrowArray.N_CHILDREN);
  }

  /** Column `i` (0-based), untyped. Traps when `i` is out of range: check `columns`. */
  column(i: i32): Column {
    assert(i >= 0 && i < this.columns, "column index out of range");
    return new Column(i, childSchema(this.schema, i), childArray(this.array, i));
  }

  /** Column `i` as int64, or null after recording an invalid-input error (return its status). */
  int64(i: i32): Int64Column | null {
    const c = this.expect(i, "l");
    return c == null ? null : new Int64Column(c);
  }

  /** Column `i` as float64, or null after recording an invalid-input error. */
  float64(i: i32): Float64Column | null {
    const c = this.expect(i, "g");
    return c == null ? null : new Float64Column(c);
  }

  /** Column `i` as utf8, or null after recording an invalid-input error. */
  utf8(i: i32): Utf8Column | null {
    const c = this.expect(i, "u");
    return c == null ? null : new Utf8Column(c);
  }

  /**
   * Column `i` when it exists, is not dictionary-encoded and has C Data format `format`; else
   * null, with the error
   * "column 0 ('s') is utf8, expected int64" recorded for `wf_last_error`.
   */
  expect(i: i32, format: string): Column | null {
    if (i >= this.columns) {
      invalidInput("expected a column " + i.toString() + ", the batch has "
        + this.columns.toString());
      return null;
    }
    const c = this.column(i);
    if (c.dictionaryEncoded) {
      // the format of a dictionary-encoded column is its index type
      invalidInput("column " + i.toString() + " ('" + c.name + "') is dictionary-encoded, expected "
        + formatName(format));
      return null;
    }
    const actual = c.format;
    if (actual != format) {
      invalidInput("column " + i.toString() + " ('" + c.name + "') is " + formatName(actual)
        + ", expected " + formatName(format));
      return null;
    }
    return c;
  }
}

/** One input column: its schema and array structs. */
export class Column {
  constructor(readonly index: i32, readonly schema: usize, readonly array: usize) {}

  get name(): string {
    return cString(<usize>load<u32>(this.schema + ArrowSchema.NAME));
  }

  get format(): string {
    return cString(<usize>load<u32>(this.schema + ArrowSchema.FORMAT));
  }

  /** True for a dictionary-encoded column (its `format` is then the index type). */
  get dictionaryEncoded(): bool {
    return load<u32>(this.schema + ArrowSchema.DICTIONARY) != 0;
  }

  get nullable(): bool {
    return (load<i64>(this.schema + ArrowSchema.FLAGS) & FLAG_NULLABLE) != 0;
  }

  get length(): i32 {
    return <i32>load<i64>(this.array + ArrowArray.LENGTH);
  }

  get nullCount(): i64 {
    return load<i64>(this.array + ArrowArray.NULL_COUNT);
  }

  get offset(): i32 {
    return <i32>load<i64>(this.array + ArrowArray.OFFSET);
  }

  /** Address of buffer `k` (0 = validity bitmap, 0 when there are no nulls). */
  buffer(k: i32): usize {
    return <usize>load<u32>(<usize>load<u32>(this.array + ArrowArray.BUFFERS) + (<usize>k << 2));
  }
}

/** Validity of a column: bit `offset + i` of an LSB-first bitmap, or all valid. */
export class Validity {
  readonly length: i32;
  protected readonly validity: usize;
  protected readonly offset: i32;

  constructor(readonly column: Column) {
    this.length = column.length;
    this.validity = column.buffer(0);
    this.offset = column.offset;
  }

  /** True when the column has no validity bitmap (no nulls in this batch). */
  get allValid(): bool {
    return this.validity == 0;
  }

  /** Address of the validity bitmap (0 = no nulls), as the host wrote it. */
  get validityBuffer(): usize {
    return this.validity;
  }

  /** Bit offset of row 0 in the validity bitmap. */
  get validityOffset(): i32 {
    return this.offset;
  }

  @inline isValid(i: i32): bool {
    if (this.validity == 0) return true;
    const bit = <usize>(this.offset + i);
    return ((load<u8>(this.validity + (bit >> 3)) >> <u8>(bit & 7)) & 1) != 0;
  }

  @inline isNull(i: i32): bool {
    return !this.isValid(i);
  }
}

/** An int64 (`l`) column. `get(i)` of a null slot returns whatever the buffer holds. */
export class Int64Column extends Validity {
  /** Address of the value of row 0 (the column's offset applied). */
  readonly data: usize;

  constructor(column: Column) {
    super(column);
    this.data = column.buffer(1) + (<usize>column.offset << 3);
  }

  @inline get(i: i32): i64 {
    return load<i64>(this.data + (<usize>i << 3));
  }
}

/** A float64 (`g`) column. */
export class Float64Column extends Validity {
  /** Address of the value of row 0 (the column's offset applied). */
  readonly data: usize;

  constructor(column: Column) {
    super(column);
    this.data = column.buffer(1) + (<usize>column.offset << 3);
  }

  @inline get(i: i32): f64 {
    return load<f64>(this.data + (<usize>i << 3));
  }
}

/** A utf8 (`u`) column: int32 offsets and UTF-8 bytes. */
export class Utf8Column extends Validity {
  private readonly offsets: usize;
  private readonly bytes: usize;

  constructor(column: Column) {
    super(column);
    this.offsets = column.buffer(1) + (<usize>column.offset << 2);
    this.bytes = column.buffer(2);
  }

  /** Address of value `i`'s UTF-8 bytes. */
  @inline ptr(i: i32): usize {
    return this.bytes + <usize>load<i32>(this.offsets + (<usize>i << 2));
  }

  /** Length of value `i` in bytes. */
  @inline byteLength(i: i32): i32 {
    const at = this.offsets + (<usize>i << 2);
    return load<i32>(at, 4) - load<i32>(at);
  }

  /** Value `i` decoded to a string ("" for a null slot). */
  get(i: i32): string {
    return String.UTF8.decodeUnsafe(this.ptr(i), <usize>this.byteLength(i));
  }
}
