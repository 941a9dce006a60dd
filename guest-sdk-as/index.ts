// wasm-flight guest library for AssemblyScript: guest ABI 1.2 (proto-docs/abi-v1.md), map
// functions over int64, float64 and utf8 columns. See README.md.

export { ABI_VERSION, Status, ArrowArray, ArrowSchema, FLAG_NULLABLE, formatName } from "./abi";
export { fail, invalidInput, setError, clearError } from "./error";
export { catalog, field } from "./catalog";
export { Batch, Column, Int64Column, Float64Column, Utf8Column, cString } from "./input";
export { Output, ColumnBuilder, Int64Builder, Float64Builder, Utf8Builder } from "./output";
export { map, MapFunction, mapInt64, mapFloat64, mapUtf8, begin, end, single } from "./map";
export { wfAbort } from "./abort";
