// The message behind the last non-zero status, as UTF-8 in a block of guest memory that the
// host reads through `wf_last_error`.

import { Status } from "./abi";

let errorPtr: usize = 0;
let errorLen: usize = 0;

/** Records `message` as the last error (replacing the previous one). */
export function setError(message: string): void {
  clearError();
  const len = <usize>String.UTF8.byteLength(message);
  const ptr = heap.alloc(len == 0 ? 1 : len);
  String.UTF8.encodeUnsafe(changetype<usize>(message), message.length, ptr);
  errorPtr = ptr;
  errorLen = len;
}

/** Forgets the last error; every entry point calls it first. */
export function clearError(): void {
  if (errorPtr != 0) {
    heap.free(errorPtr);
  }
  errorPtr = 0;
  errorLen = 0;
}

/** Records `message` and returns `status`: `return fail(Status.INVALID_INPUT, "...")`. */
export function fail(status: i32, message: string): i32 {
  setError(message);
  return status;
}

/** Shorthand for `fail(Status.INVALID_INPUT, message)`. */
export function invalidInput(message: string): i32 {
  return fail(Status.INVALID_INPUT, message);
}

/** `(len << 32) | ptr` of the last error, 0 when there is none. */
export function lastError(): u64 {
  if (errorPtr == 0) return 0;
  return (<u64>errorLen << 32) | <u64>errorPtr;
}
