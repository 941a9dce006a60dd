// The output batch (abi-v1.md 5.4): column builders whose buffers live in guest memory, written
// into the host's two output structs by `finish`. Every block belongs to the output in flight
// and is freed by `wf_release` (or by the library itself after a non-zero status).

import { ArrowArray, ArrowSchema, FLAG_NULLABLE, Status } from "./abi";
import { fail } from "./error";
import { outputBlock, retrackOutput, trackOutput } from "./memory";
import { Column, Validity } from "./input";

// Any non-zero value marks a struct as not released (the host never calls it).
const RELEASE_MARK: u32 = 1;

/** A NUL-terminated UTF-8 copy of `text` owned by the output in flight. */
function outputCString(text: string): usize {
  const len = <usize>String.UTF8.byteLength(text);
  const ptr = outputBlock(len + 1);
  String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, ptr);
  return ptr;
}

/** One output column; `write` fills a child schema and array. */
export abstract class ColumnBuilder {
  constructor(readonly name: string, readonly nullable: bool, readonly rows: i32) {}

  /** C Data format string of the column. */
  abstract format(): string;

  /** Fills the child structs; returns a status (an incomplete column is an error). */
  abstract write(schema: usize, array: usize): i32;

  protected writeSchema(schema: usize): void {
    store<u32>(schema + ArrowSchema.FORMAT, <u32>outputCString(this.format()));
    store<u32>(schema + ArrowSchema.NAME, <u32>outputCString(this.name));
    store<i64>(schema + ArrowSchema.FLAGS, this.nullable ? FLAG_NULLABLE : 0);
    store<u32>(schema + ArrowSchema.RELEASE, RELEASE_MARK);
  }

  protected writeArray(array: usize, length: i32, nullCount: i64, buffers: StaticArray<usize>): void {
    const list = outputBlock(<usize>buffers.length << 2);
    for (let k = 0; k < buffers.length; k++) {
      store<u32>(list + (<usize>k << 2), <u32>buffers[k]);
    }
    store<i64>(array + ArrowArray.LENGTH, length);
    store<i64>(array + ArrowArray.NULL_COUNT, nullCount);
    store<i64>(array + ArrowArray.N_BUFFERS, buffers.length);
    store<u32>(array + ArrowArray.BUFFERS, <u32>list);
    store<u32>(array + ArrowArray.RELEASE, RELEASE_MARK);
  }
}

/** Validity of a fixed-length builder: allocated (all valid) at the first null. */
abstract class FixedBuilder extends ColumnBuilder {
  protected validity: usize = 0;

  @inline setNull(i: i32): void {
    if (this.validity == 0) {
      const bytes = (<usize>this.rows + 7) >> 3;
      this.validity = outputBlock(bytes);
      memory.fill(this.validity, 0xff, bytes);
    }
    const at = this.validity + (<usize>i >> 3);
    store<u8>(at, load<u8>(at) & ~(<u8>1 << <u8>(i & 7)));
  }

  /** Sets the same slots null as `source` (an input column of as many rows), in bulk. */
  copyValidity(source: Validity): void {
    const from = source.validityBuffer;
    if (from == 0) return;
    const bytes = (<usize>this.rows + 7) >> 3;
    if (this.validity == 0) {
      this.validity = outputBlock(bytes);
    }
    const bit = source.validityOffset;
    if ((bit & 7) == 0) {
      memory.copy(this.validity, from + (<usize>bit >> 3), bytes);
    } else {
      memory.fill(this.validity, 0xff, bytes);
      for (let i = 0; i < this.rows; i++) {
        if (source.isNull(i)) this.setNull(i);
      }
    }
  }

  protected nullCount(): i64 {
    // -1 ("unknown") when a slot could have been set to null twice
    return this.validity == 0 ? 0 : -1;
  }
}

/** An int64 column of `rows` slots, each set once with `set` or `setNull`. */
export class Int64Builder extends FixedBuilder {
  readonly data: usize;

  constructor(name: string, nullable: bool, rows: i32) {
    super(name, nullable, rows);
    this.data = outputBlock(<usize>rows << 3);
  }

  format(): string {
    return "l";
  }

  @inline set(i: i32, value: i64): void {
    store<i64>(this.data + (<usize>i << 3), value);
  }

  write(schema: usize, array: usize): i32 {
    if (!this.nullable && this.validity != 0) {
      return fail(Status.EXECUTION, "column '" + this.name + "' is not nullable but has a null");
    }
    this.writeSchema(schema);
    this.writeArray(array, this.rows, this.nullCount(), [this.validity, this.data]);
    return Status.OK;
  }
}

/** A float64 column of `rows` slots. */
export class Float64Builder extends FixedBuilder {
  readonly data: usize;

  constructor(name: string, nullable: bool, rows: i32) {
    super(name, nullable, rows);
    this.data = outputBlock(<usize>rows << 3);
  }

  format(): string {
    return "g";
  }

  @inline set(i: i32, value: f64): void {
    store<f64>(this.data + (<usize>i << 3), value);
  }

  write(schema: usize, array: usize): i32 {
    if (!this.nullable && this.validity != 0) {
      return fail(Status.EXECUTION, "column '" + this.name + "' is not nullable but has a null");
    }
    this.writeSchema(schema);
    this.writeArray(array, this.rows, this.nullCount(), [this.validity, this.data]);
    return Status.OK;
  }
}

/** A utf8 column filled in row order with `append`, `appendBytes` and `appendNull`. */
export class Utf8Builder extends ColumnBuilder {
  private validity: usize = 0;
  private readonly offsets: usize;
  private bytes: usize;
  private capacity: usize;
  private used: usize = 0;
  private count: i32 = 0;

  constructor(name: string, nullable: bool, rows: i32) {
    super(name, nullable, rows);
    this.offsets = outputBlock((<usize>rows + 1) << 2);
    this.capacity = <usize>rows * 8 + 16;
    this.bytes = heap.alloc(this.capacity);
    trackOutput(this.bytes);
  }

  format(): string {
    return "u";
  }

  /** Values appended so far. */
  get length(): i32 {
    return this.count;
  }

  private reserve(more: usize): usize {
    if (this.used + more > this.capacity) {
      let capacity = this.capacity * 2;
      while (capacity < this.used + more) capacity *= 2;
      const moved = heap.realloc(this.bytes, capacity);
      retrackOutput(this.bytes, moved);
      this.bytes = moved;
      this.capacity = capacity;
    }
    return this.bytes + this.used;
  }

  private next(): void {
    assert(this.count < this.rows, "more values appended than the column has rows");
    this.count++;
    store<i32>(this.offsets + (<usize>this.count << 2), <i32>this.used);
  }

  /** Appends `value` as UTF-8. */
  append(value: string): void {
    const len = <usize>String.UTF8.byteLength(value);
    const at = this.reserve(len);
    String.UTF8.encodeUnsafe(changetype<usize>(value), value.length, at);
    this.used += len;
    this.next();
  }

  /** Appends `len` bytes of UTF-8 from `ptr` (e.g. `Utf8Column.ptr(i)`: no decoding). */
  appendBytes(ptr: usize, len: i32): void {
    const at = this.reserve(<usize>len);
    memory.copy(at, ptr, <usize>len);
    this.used += <usize>len;
    this.next();
  }

  /** Appends a null. */
  appendNull(): void {
    if (this.validity == 0) {
      const bytes = (<usize>this.rows + 7) >> 3;
      this.validity = outputBlock(bytes);
      memory.fill(this.validity, 0xff, bytes);
    }
    const i = this.count;
    const at = this.validity + (<usize>i >> 3);
    store<u8>(at, load<u8>(at) & ~(<u8>1 << <u8>(i & 7)));
    this.next();
  }

  write(schema: usize, array: usize): i32 {
    if (this.count != this.rows) {
      return fail(Status.EXECUTION, "column '" + this.name + "' has " + this.count.toString()
        + " values for " + this.rows.toString() + " rows");
    }
    if (!this.nullable && this.validity != 0) {
      return fail(Status.EXECUTION, "column '" + this.name + "' is not nullable but has a null");
    }
    this.writeSchema(schema);
    this.writeArray(array, this.rows, this.validity == 0 ? 0 : -1,
      [this.validity, this.offsets, this.bytes]);
    return Status.OK;
  }
}

/** An input column passed through unchanged: its structs are copied, its buffers shared. */
class PassThrough extends ColumnBuilder {
  constructor(readonly column: Column) {
    super(column.name, column.nullable, column.length);
  }

  format(): string {
    return "";
  }

  write(schema: usize, array: usize): i32 {
    // The output may point into the input (abi-v1.md 5.4); child release fields are not read.
    memory.copy(schema, this.column.schema, ArrowSchema.SIZE);
    memory.copy(array, this.column.array, ArrowArray.SIZE);
    store<u32>(schema + ArrowSchema.RELEASE, RELEASE_MARK);
    store<u32>(array + ArrowArray.RELEASE, RELEASE_MARK);
    return Status.OK;
  }
}

/** The output batch of one call: `rows` rows, columns in the order they are added. */
export class Output {
  private readonly builders: ColumnBuilder[] = [];

  constructor(readonly rows: i32) {}

  /** A new int64 column. */
  int64(name: string, nullable: bool = true): Int64Builder {
    const b = new Int64Builder(name, nullable, this.rows);
    this.builders.push(b);
    return b;
  }

  /** A new float64 column. */
  float64(name: string, nullable: bool = true): Float64Builder {
    const b = new Float64Builder(name, nullable, this.rows);
    this.builders.push(b);
    return b;
  }

  /** A new utf8 column. */
  utf8(name: string, nullable: bool = true): Utf8Builder {
    const b = new Utf8Builder(name, nullable, this.rows);
    this.builders.push(b);
    return b;
  }

  /** An input column, unchanged (no copy: the output points at the host's input buffers). */
  passThrough(column: Column): void {
    assert(column.length == this.rows, "pass-through column has another row count");
    this.builders.push(new PassThrough(column));
  }

  /** Writes the batch into the host's output structs (a struct array, abi-v1.md 5.1). */
  finish(outSchema: usize, outArray: usize): i32 {
    const n = this.builders.length;
    const schemaChildren = outputBlock(<usize>n << 2);
    const arrayChildren = outputBlock(<usize>n << 2);
    for (let i = 0; i < n; i++) {
      const schema = outputBlock(ArrowSchema.SIZE);
      const array = outputBlock(ArrowArray.SIZE);
      const status = this.builders[i].write(schema, array);
      if (status != Status.OK) return status;
      store<u32>(schemaChildren + (<usize>i << 2), <u32>schema);
      store<u32>(arrayChildren + (<usize>i << 2), <u32>array);
    }
    const buffers = outputBlock(4); // the struct's validity: none
    store<u32>(outSchema + ArrowSchema.FORMAT, <u32>outputCString("+s"));
    store<i64>(outSchema + ArrowSchema.N_CHILDREN, n);
    store<u32>(outSchema + ArrowSchema.CHILDREN, <u32>schemaChildren);
    store<u32>(outSchema + ArrowSchema.RELEASE, RELEASE_MARK);
    store<i64>(outArray + ArrowArray.LENGTH, this.rows);
    store<i64>(outArray + ArrowArray.N_BUFFERS, 1);
    store<i64>(outArray + ArrowArray.N_CHILDREN, n);
    store<u32>(outArray + ArrowArray.BUFFERS, <u32>buffers);
    store<u32>(outArray + ArrowArray.CHILDREN, <u32>arrayChildren);
    store<u32>(outArray + ArrowArray.RELEASE, RELEASE_MARK);
    return Status.OK;
  }
}
