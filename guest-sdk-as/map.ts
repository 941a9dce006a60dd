// Entry-point wrappers for `map` functions (abi-v1.md 6.1): the export calls one of these with
// its four pointers. They clear the last error, run the user function and, after a non-zero
// status, free the partial output themselves (the host calls wf_release only after WF_OK).

import { Status } from "./abi";
import { clearError, fail, invalidInput } from "./error";
import { releaseOutput } from "./memory";
import { Batch } from "./input";
import { Output } from "./output";

/** A map function: reads `input`, adds `input.rows` rows of columns to `output`, returns a status. */
export type MapFunction = (input: Batch, output: Output) => i32;

/** Runs a map function on one batch: `return map(s, a, os, oa, myFunction);` */
export function map(inSchema: usize, inArray: usize, outSchema: usize, outArray: usize,
    f: MapFunction): i32 {
  begin();
  const input = new Batch(inSchema, inArray);
  const output = new Output(input.rows);
  return end(f(input, output), output, outSchema, outArray);
}

/** Start of every entry point: no error, no output in flight. */
export function begin(): void {
  clearError();
  releaseOutput();
}

/** End of every entry point: writes `output` after `WF_OK`, else frees it. */
export function end(status: i32, output: Output, outSchema: usize, outArray: usize): i32 {
  if (status == Status.OK) {
    status = output.finish(outSchema, outArray);
  }
  if (status != Status.OK) {
    releaseOutput();
    if (status < Status.OK || status > Status.OUT_OF_MEMORY) {
      return fail(Status.EXECUTION, "the function returned status " + status.toString());
    }
  }
  return status;
}

/** Checks the batch has exactly one column (the scalar helpers' input). */
export function single(input: Batch): bool {
  if (input.columns != 1) {
    invalidInput("expected 1 column, the batch has " + input.columns.toString());
    return false;
  }
  return true;
}

// The scalar helpers are inlined into the export that calls them, so the compiler sees the
// function literal passed as `f` and can call it directly in the loop; the loop skips the
// validity test when the batch has no nulls and copies the input's bitmap in one go.

/**
 * A scalar int64 function over a batch of one int64 column: `f` runs on each non-null value,
 * nulls stay null, the output column keeps the input's name and nullability.
 */
// @ts-ignore: decorator
@inline export function mapInt64(inSchema: usize, inArray: usize, outSchema: usize,
    outArray: usize, f: (x: i64) => i64): i32 {
  begin();
  const input = new Batch(inSchema, inArray);
  const output = new Output(input.rows);
  let status = Status.INVALID_INPUT;
  const x = single(input) ? input.int64(0) : null;
  if (x != null) {
    const y = output.int64(x.column.name, x.column.nullable);
    const src = x.data;
    const dst = y.data;
    const rows = input.rows;
    if (x.allValid) {
      for (let i = 0; i < rows; i++) {
        store<i64>(dst + (<usize>i << 3), f(load<i64>(src + (<usize>i << 3))));
      }
    } else {
      y.copyValidity(x);
      for (let i = 0; i < rows; i++) {
        if (x.isValid(i)) store<i64>(dst + (<usize>i << 3), f(load<i64>(src + (<usize>i << 3))));
      }
    }
    status = Status.OK;
  }
  return end(status, output, outSchema, outArray);
}

/** As `mapInt64`, for one float64 column. */
// @ts-ignore: decorator
@inline export function mapFloat64(inSchema: usize, inArray: usize, outSchema: usize,
    outArray: usize, f: (x: f64) => f64): i32 {
  begin();
  const input = new Batch(inSchema, inArray);
  const output = new Output(input.rows);
  let status = Status.INVALID_INPUT;
  const x = single(input) ? input.float64(0) : null;
  if (x != null) {
    const y = output.float64(x.column.name, x.column.nullable);
    const src = x.data;
    const dst = y.data;
    const rows = input.rows;
    if (x.allValid) {
      for (let i = 0; i < rows; i++) {
        store<f64>(dst + (<usize>i << 3), f(load<f64>(src + (<usize>i << 3))));
      }
    } else {
      y.copyValidity(x);
      for (let i = 0; i < rows; i++) {
        if (x.isValid(i)) store<f64>(dst + (<usize>i << 3), f(load<f64>(src + (<usize>i << 3))));
      }
    }
    status = Status.OK;
  }
  return end(status, output, outSchema, outArray);
}

/** As `mapInt64`, for one utf8 column (values decoded to strings and encoded back). */
// @ts-ignore: decorator
@inline export function mapUtf8(inSchema: usize, inArray: usize, outSchema: usize,
    outArray: usize, f: (x: string) => string): i32 {
  begin();
  const input = new Batch(inSchema, inArray);
  const output = new Output(input.rows);
  let status = Status.INVALID_INPUT;
  const x = single(input) ? input.utf8(0) : null;
  if (x != null) {
    const y = output.utf8(x.column.name, x.column.nullable);
    for (let i = 0; i < input.rows; i++) {
      if (x.isNull(i)) {
        y.appendNull();
      } else {
        y.append(f(x.get(i)));
      }
    }
    status = Status.OK;
  }
  return end(status, output, outSchema, outArray);
}
