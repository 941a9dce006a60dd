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
  clearError();
  releaseOutput();
  const input = new Batch(inSchema, inArray);
  const output = new Output(input.rows);
  let status = f(input, output);
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
function single(input: Batch): bool {
  if (input.columns != 1) {
    invalidInput("expected 1 column, the batch has " + input.columns.toString());
    return false;
  }
  return true;
}

// The user's scalar function, set by each helper for the duration of one call (AssemblyScript
// closures cannot capture it).
let int64Fn: (x: i64) => i64 = (x: i64): i64 => x;
let float64Fn: (x: f64) => f64 = (x: f64): f64 => x;
let utf8Fn: (x: string) => string = (x: string): string => x;

function int64Map(input: Batch, output: Output): i32 {
  if (!single(input)) return Status.INVALID_INPUT;
  const x = input.int64(0);
  if (x == null) return Status.INVALID_INPUT;
  const y = output.int64(x.column.name, x.column.nullable);
  const f = int64Fn;
  for (let i = 0; i < input.rows; i++) {
    if (x.isNull(i)) {
      y.setNull(i);
    } else {
      y.set(i, f(x.get(i)));
    }
  }
  return Status.OK;
}

function float64Map(input: Batch, output: Output): i32 {
  if (!single(input)) return Status.INVALID_INPUT;
  const x = input.float64(0);
  if (x == null) return Status.INVALID_INPUT;
  const y = output.float64(x.column.name, x.column.nullable);
  const f = float64Fn;
  for (let i = 0; i < input.rows; i++) {
    if (x.isNull(i)) {
      y.setNull(i);
    } else {
      y.set(i, f(x.get(i)));
    }
  }
  return Status.OK;
}

function utf8Map(input: Batch, output: Output): i32 {
  if (!single(input)) return Status.INVALID_INPUT;
  const x = input.utf8(0);
  if (x == null) return Status.INVALID_INPUT;
  const y = output.utf8(x.column.name, x.column.nullable);
  const f = utf8Fn;
  for (let i = 0; i < input.rows; i++) {
    if (x.isNull(i)) {
      y.appendNull();
    } else {
      y.append(f(x.get(i)));
    }
  }
  return Status.OK;
}

/**
 * A scalar int64 function over a batch of one int64 column: `f` runs on each non-null value,
 * nulls stay null, the output column keeps the input's name and nullability.
 */
export function mapInt64(inSchema: usize, inArray: usize, outSchema: usize, outArray: usize,
    f: (x: i64) => i64): i32 {
  int64Fn = f;
  return map(inSchema, inArray, outSchema, outArray, int64Map);
}

/** As `mapInt64`, for one float64 column. */
export function mapFloat64(inSchema: usize, inArray: usize, outSchema: usize, outArray: usize,
    f: (x: f64) => f64): i32 {
  float64Fn = f;
  return map(inSchema, inArray, outSchema, outArray, float64Map);
}

/** As `mapInt64`, for one utf8 column (values decoded to strings and encoded back). */
export function mapUtf8(inSchema: usize, inArray: usize, outSchema: usize, outArray: usize,
    f: (x: string) => string): i32 {
  utf8Fn = f;
  return map(inSchema, inArray, outSchema, outArray, utf8Map);
}
