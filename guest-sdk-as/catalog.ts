// The function catalog (abi-v1.md section 4), declared with top-level calls in the guest's
// entry file, which run in the module's start function before the host asks for it:
//
//   catalog.map("add_one", "wf_fn_add_one");

let entries: string[] = [];
let jsonPtr: usize = 0;
let jsonLen: usize = 0;

/** One output field of a declared `output` schema: `field("total", "g")`. */
export function field(name: string, format: string, nullable: bool = true): string {
  return '{"name":"' + name + '","format":"' + format + '","nullable":'
    + (nullable ? "true" : "false") + "}";
}

export namespace catalog {
  /**
   * A `map` function `name` implemented by the export `exportName`; `output` (optional) is its
   * fixed output schema, a list of `field(...)`.
   */
  export function map(name: string, exportName: string, output: string[] = []): void {
    add(name, "map", exportName, output);
  }

  /** An entry of any kind, for kinds the library has no helpers for yet. */
  export function add(name: string, kind: string, exportName: string, output: string[] = []): void {
    let entry = '{"name":"' + name + '","kind":"' + kind + '","export":"' + exportName + '"';
    if (output.length > 0) {
      entry += ',"output":[' + output.join(",") + "]";
    }
    entries.push(entry + "}");
    jsonPtr = 0;
  }

  /** The catalog JSON text. */
  export function json(): string {
    return '{"functions":[' + entries.join(",") + "]}";
  }
}

/** `(len << 32) | ptr` of the catalog as UTF-8; the block lives as long as the instance. */
export function catalogPointer(): u64 {
  if (jsonPtr == 0) {
    const text = catalog.json();
    jsonLen = <usize>String.UTF8.byteLength(text);
    jsonPtr = heap.alloc(jsonLen);
    String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, jsonPtr);
  }
  return (<u64>jsonLen << 32) | <u64>jsonPtr;
}
