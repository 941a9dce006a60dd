// Kernel-only reference: runs the same .wasm as Chicory on the same batch, with Node's
// WebAssembly engine (V8), and times the same calls as KernelBench does.
//
//   node kernel.mjs --dump-dir DIR --out FILE [--reps 5] [--target-seconds 0.5]
//                   [--warmup-seconds 1]
//
// DIR holds what KernelBench wrote: per workload and batch size a JSON description and a .bin
// with the batch's Arrow buffers. This script writes the batch into guest memory in the C Data
// layout of proto-docs/abi-v1.md section 5.3 (exactly what the server's InputWriter does), then
// per call: zeroes the output slots, calls the map export, checks the status, calls wf_release.
// The first call's output is checked against the checksum of the output Chicory produced (and
// Java verified): FNV-1a 32 over validity and value bytes, see Checksum.java.

import fs from 'node:fs';
import path from 'node:path';

function parseArgs(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`);
    a[argv[i].slice(2)] = argv[i + 1];
    i++;
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));
const dumpDir = args['dump-dir'];
const outFile = args['out'];
const reps = Number(args['reps'] ?? 5);
const targetSeconds = Number(args['target-seconds'] ?? 0.5);
const warmupSeconds = Number(args['warmup-seconds'] ?? targetSeconds);
const workloadOrder = ['add_one', 'upper', 'line_total', 'haversine'];

const SCHEMA_SIZE = 48;
const ARRAY_SIZE = 64;
const FLAG_NULLABLE = 2n;
const WIDTH = { c: 1, C: 1, s: 2, S: 2, i: 4, I: 4, f: 4, l: 8, L: 8, g: 8 };

/** One instance with the batch written into its memory. */
async function prepare(module, d, data) {
  const { exports: ex } = await WebAssembly.instantiate(module, {});
  const memory = ex.memory;
  let u8 = new Uint8Array(memory.buffer);
  let dv = new DataView(memory.buffer);
  const refresh = () => {
    if (u8.buffer !== memory.buffer) {
      u8 = new Uint8Array(memory.buffer);
      dv = new DataView(memory.buffer);
    }
  };
  const alloc = (size, align) => {
    const p = ex.wf_alloc(size, align) >>> 0;
    if (p === 0) throw new Error(`wf_alloc(${size}, ${align}) returned null`);
    refresh();
    return p;
  };
  const enc = new TextEncoder();
  const n = d.columns.length;
  const strings = [enc.encode('+s\0')];
  for (const c of d.columns) {
    strings.push(enc.encode(c.format + '\0'), enc.encode(c.name + '\0'));
  }
  const stringBytes = strings.reduce((s, b) => s + b.length, 0);

  // Schema: [top][n children][n child pointers][strings], written once (5.3).
  const schema = alloc(SCHEMA_SIZE * (n + 1) + 4 * n + stringBytes, 8);
  u8.fill(0, schema, schema + SCHEMA_SIZE * (n + 1) + 4 * n + stringBytes);
  const childSchemas = schema + SCHEMA_SIZE;
  const childPtrs = childSchemas + SCHEMA_SIZE * n;
  let s = childPtrs + 4 * n;
  const put = (bytes) => { const at = s; u8.set(bytes, at); s += bytes.length; return at; };
  dv.setUint32(schema + 0, put(strings[0]), true);
  dv.setBigInt64(schema + 24, BigInt(n), true);
  dv.setUint32(schema + 32, n === 0 ? 0 : childPtrs, true);
  d.columns.forEach((c, i) => {
    const cs = childSchemas + SCHEMA_SIZE * i;
    dv.setUint32(childPtrs + 4 * i, cs, true);
    dv.setUint32(cs + 0, put(strings[1 + 2 * i]), true);
    dv.setUint32(cs + 4, put(strings[2 + 2 * i]), true);
    dv.setBigInt64(cs + 16, c.nullable ? FLAG_NULLABLE : 0n, true);
  });

  // Buffers: one 8-aligned allocation each; an absent validity buffer is a null pointer.
  const ptrs = d.columns.map((c) => c.buffers.map((b) => {
    if (b.offset < 0) return 0;
    const p = alloc(Math.max(b.length, 1), 8);
    u8.set(data.subarray(b.offset, b.offset + b.length), p);
    return p;
  }));

  // Arrays: [top][n children][top buffers (1)][child pointers][per-column buffer pointers].
  const nBufs = d.columns.reduce((t, c) => t + c.buffers.length, 0);
  const arraySize = ARRAY_SIZE * (n + 1) + 4 + 4 * n + 4 * nBufs;
  const array = alloc(arraySize, 8);
  u8.fill(0, array, array + arraySize);
  const childArrays = array + ARRAY_SIZE;
  const topBuffers = childArrays + ARRAY_SIZE * n;
  const childArrayPtrs = topBuffers + 4;
  let bufPtrs = childArrayPtrs + 4 * n;
  const writeArray = (a, length, nullCount, nBuffers, nChildren, buffers, children) => {
    dv.setBigInt64(a + 0, BigInt(length), true);
    dv.setBigInt64(a + 8, BigInt(nullCount), true);
    dv.setBigInt64(a + 16, 0n, true);
    dv.setBigInt64(a + 24, BigInt(nBuffers), true);
    dv.setBigInt64(a + 32, BigInt(nChildren), true);
    dv.setUint32(a + 40, buffers, true);
    dv.setUint32(a + 44, children, true);
  };
  d.columns.forEach((c, i) => {
    const a = childArrays + ARRAY_SIZE * i;
    dv.setUint32(childArrayPtrs + 4 * i, a, true);
    ptrs[i].forEach((p, b) => dv.setUint32(bufPtrs + 4 * b, p, true));
    writeArray(a, d.rows, c.null_count, c.buffers.length, 0, bufPtrs, 0);
    bufPtrs += 4 * c.buffers.length;
  });
  dv.setUint32(topBuffers, 0, true);
  writeArray(array, d.rows, 0, 1, n, topBuffers, n === 0 ? 0 : childArrayPtrs);

  const outSchema = alloc(SCHEMA_SIZE + ARRAY_SIZE, 8);
  const outArray = outSchema + SCHEMA_SIZE;
  const fn = ex[d.export];
  const call = () => {
    refresh();
    u8.fill(0, outSchema, outArray + ARRAY_SIZE);
    const status = fn(schema, array, outSchema, outArray);
    if (status !== 0) throw new Error(`${d.export} returned status ${status}`);
  };
  const release = () => ex.wf_release(outSchema, outArray);
  const view = () => { refresh(); return { u8, dv }; };
  return { call, release, view, outSchema, outArray };
}

/** FNV-1a 32 of the output batch, as Checksum.java computes it. */
function checksum({ u8, dv }, outSchema, outArray, rows) {
  const cstr = (p) => { let e = p; while (u8[e] !== 0) e++; return new TextDecoder().decode(u8.subarray(p, e)); };
  let h = 0x811c9dc5;
  const mix = (b) => { h = Math.imul(h ^ b, 0x01000193) >>> 0; };
  const n = Number(dv.getBigInt64(outArray + 32, true));
  const topOffset = Number(dv.getBigInt64(outArray + 16, true));
  const schemaChildren = dv.getUint32(outSchema + 32, true);
  const arrayChildren = dv.getUint32(outArray + 44, true);
  for (let c = 0; c < n; c++) {
    const cs = dv.getUint32(schemaChildren + 4 * c, true);
    const ca = dv.getUint32(arrayChildren + 4 * c, true);
    const format = cstr(dv.getUint32(cs, true));
    const start = topOffset + Number(dv.getBigInt64(ca + 16, true));
    const bufs = dv.getUint32(ca + 40, true);
    const validity = dv.getUint32(bufs, true);
    const values = dv.getUint32(bufs + 4, true);
    const dataBuf = format === 'u' || format === 'z' ? dv.getUint32(bufs + 8, true) : 0;
    const w = WIDTH[format];
    for (let i = 0; i < rows; i++) {
      const slot = start + i;
      const valid = validity === 0 || (u8[validity + (slot >>> 3)] & (1 << (slot & 7))) !== 0;
      mix(valid ? 1 : 0);
      if (!valid) continue;
      if (w !== undefined) {
        for (let b = 0; b < w; b++) mix(u8[values + slot * w + b]);
      } else if (dataBuf !== 0 || format === 'u' || format === 'z') {
        const from = dv.getInt32(values + 4 * slot, true);
        const to = dv.getInt32(values + 4 * slot + 4, true);
        for (let b = from; b < to; b++) mix(u8[dataBuf + b]);
      } else {
        throw new Error(`no checksum for format ${format}`);
      }
    }
  }
  return h | 0;
}

const nowSeconds = () => Number(process.hrtime.bigint()) / 1e9;

const dumps = fs.readdirSync(dumpDir).filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(dumpDir, f), 'utf8')))
  .sort((a, b) => (workloadOrder.indexOf(a.workload) - workloadOrder.indexOf(b.workload))
    || (a.rows - b.rows));
const result = { node_version: process.version, v8_version: process.versions.v8, cells: [] };
const modules = new Map();
const write = () => fs.writeFileSync(outFile, JSON.stringify(result, null, 2));

for (const d of dumps) {
  const cell = { engine: 'node', workload: d.workload, batch_rows: d.rows,
    bytes_per_row: d.bytes_per_row };
  result.cells.push(cell);
  try {
    if (!modules.has(d.wasm)) modules.set(d.wasm, await WebAssembly.compile(fs.readFileSync(d.wasm)));
    const data = fs.readFileSync(path.join(dumpDir, d.data));
    const k = await prepare(modules.get(d.wasm), d, data);
    k.call();
    const sum = checksum(k.view(), k.outSchema, k.outArray, d.rows);
    k.release();
    cell.checksum = sum;
    if (sum !== d.expected_checksum) {
      throw new Error(`output checksum ${sum} differs from Chicory's ${d.expected_checksum}`);
    }
    cell.verified = true;
    // Warm up (V8 tiers up from Liftoff to TurboFan) in windows of a tenth of the warm-up time
    // until two windows agree within 5% (at most ten times the warm-up time), as KernelBench
    // does; then the timed repetitions.
    const start = nowSeconds();
    const window = Math.max(0.001, warmupSeconds / 10);
    let previous = NaN;
    let perCall;
    for (;;) {
      const t0 = nowSeconds();
      let n = 0;
      do { k.call(); k.release(); n++; } while (nowSeconds() - t0 < window);
      perCall = (nowSeconds() - t0) / n;
      const elapsed = nowSeconds() - start;
      if ((elapsed >= warmupSeconds && Math.abs(perCall - previous) <= 0.05 * perCall)
          || elapsed >= 10 * warmupSeconds) {
        cell.warmup_seconds = elapsed;
        break;
      }
      previous = perCall;
    }
    const calls = Math.max(1, Math.ceil(targetSeconds / perCall));
    cell.runs = [];
    for (let r = 0; r < reps; r++) {
      const s = nowSeconds();
      const cpu0 = process.cpuUsage();
      for (let c = 0; c < calls; c++) { k.call(); k.release(); }
      const seconds = nowSeconds() - s;
      // The process's CPU time (all threads; idle but for this one once V8 has tiered up): on a
      // shared machine, the rate while it was running, like KernelBench's thread CPU time.
      const cpu = process.cpuUsage(cpu0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const rowsPerSec = (calls * d.rows) / seconds;
      cell.runs.push({ calls, rows: calls * d.rows, seconds, rows_per_s: rowsPerSec,
        cpu_seconds: cpuSeconds, rows_per_cpu_s: (calls * d.rows) / cpuSeconds,
        mb_per_s: rowsPerSec * d.bytes_per_row / 1e6 });
    }
    const sorted = cell.runs.map((r) => r.rows_per_s).sort((a, b) => a - b);
    const med = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    console.log(`kernel node        ${d.workload.padEnd(10)} ${String(d.rows).padStart(8)} rows: `
      + `${(med / 1e6).toPrecision(3)} Mrows/s`);
  } catch (e) {
    cell.verified = false;
    cell.error = String(e && e.message ? e.message : e);
    console.error(`kernel node ${d.workload} ${d.rows}: FAILED: ${cell.error}`);
  }
  write();
}
result.complete = true;
write();
