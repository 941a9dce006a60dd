// The compiler's `abort` (failed assert, out-of-bounds array index, allocation failure) routed to
// the ABI: the message is recorded for `wf_last_error`, then the guest traps. The host reads
// the message after the trap and adds it to the error the client sees. asconfig.json selects
// it with `--use abort=~lib/wasm-flight-guest/abort/wfAbort`; without it the module would
// import `env.abort`, and a module with imports is refused at registration.

import { setError } from "./error";

export function wfAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = message == null ? "abort" : message;
  if (fileName != null) {
    text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  }
  setError(text);
  unreachable();
}
