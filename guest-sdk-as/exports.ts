// The exports every guest needs (abi-v1.md section 3). A guest's entry file re-exports them:
//
//   export * from "wasm-flight-guest/exports";
//
// The compiler exports `memory` itself.

import { ABI_VERSION, ArrowArray, ArrowSchema } from "./abi";
import { catalogPointer } from "./catalog";
import { lastError } from "./error";
import { alloc, free, releaseOutput } from "./memory";
// Parsed so that asconfig.json's `--use abort=...` finds it.
import "./abort";

export function wf_abi_version(): i32 {
  return ABI_VERSION;
}

export function wf_alloc(size: u32, align: u32): usize {
  return alloc(size, align);
}

export function wf_free(ptr: usize, size: u32, align: u32): void {
  free(ptr, size, align);
}

export function wf_catalog(): u64 {
  return catalogPointer();
}

export function wf_last_error(): u64 {
  return lastError();
}

export function wf_release(schema: usize, array: usize): void {
  releaseOutput();
  store<u32>(schema + ArrowSchema.RELEASE, 0);
  store<u32>(array + ArrowArray.RELEASE, 0);
}
