// Example wasm-flight guest in AssemblyScript: four map functions. Built by
// build-examples.sh into as_examples.wasm; tested end to end by
// integration-tests/.../AssemblyScriptExamplesTest.java.

import {
  Batch, Output, Status, catalog, field, invalidInput, map, mapFloat64, mapInt64, mapUtf8,
} from "wasm-flight-guest";

export * from "wasm-flight-guest/exports";

catalog.map("add_one", "wf_fn_add_one");
catalog.map("fahrenheit", "wf_fn_fahrenheit");
catalog.map("greet", "wf_fn_greet");
catalog.map("line_total", "wf_fn_line_total", [field("id", "l"), field("total", "g")]);

/** int64 → int64: x + 1 (wrapping), nulls stay null. */
export function wf_fn_add_one(s: usize, a: usize, os: usize, oa: usize): i32 {
  return mapInt64(s, a, os, oa, (x: i64): i64 => x + 1);
}

/** float64 → float64: degrees Celsius to Fahrenheit. */
export function wf_fn_fahrenheit(s: usize, a: usize, os: usize, oa: usize): i32 {
  return mapFloat64(s, a, os, oa, (c: f64): f64 => c * 1.8 + 32.0);
}

/** utf8 → utf8: "Hello, <name>!" (Unicode round-trips through AssemblyScript strings). */
export function wf_fn_greet(s: usize, a: usize, os: usize, oa: usize): i32 {
  return mapUtf8(s, a, os, oa, (name: string): string => "Hello, " + name + "!");
}

/**
 * (id int64, qty int64, price float64) → (id, total = qty * price): several columns, the
 * `id` column passed through without a copy, a null when qty or price is null.
 */
function lineTotal(input: Batch, output: Output): i32 {
  if (input.columns != 3) {
    return invalidInput("expected columns (id, qty, price), got " + input.columns.toString());
  }
  const qty = input.int64(1);
  if (qty == null) return Status.INVALID_INPUT;
  const price = input.float64(2);
  if (price == null) return Status.INVALID_INPUT;
  const id = input.expect(0, "l");
  if (id == null) return Status.INVALID_INPUT;
  output.passThrough(id);
  const total = output.float64("total");
  for (let i = 0; i < input.rows; i++) {
    if (qty.isNull(i) || price.isNull(i)) {
      total.setNull(i);
    } else {
      total.set(i, <f64>qty.get(i) * price.get(i));
    }
  }
  return Status.OK;
}

export function wf_fn_line_total(s: usize, a: usize, os: usize, oa: usize): i32 {
  return map(s, a, os, oa, lineTotal);
}
