// Calling a fast-path helper (HelperDef.wasm: (r1..r5 i64) -> i64) from the interpreter without BigInts:
// a tiny wasm module imports the helper and exports `t`, which takes the five registers as ten i32
// halves, calls it, and returns the result as an f64 when it is exact (|v| <= 2^53, nearly always: a
// pointer, 0, an errno) or NaN with the result's halves left in the globals `lo` and `hi`. The module is
// written out byte by byte below (no binaryen: the interpreter is made synchronously); one instance per
// helper function, made at its first call.

type WasmHelper = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/** A helper called by halves: `t` returns the result, or NaN and then `lo.value`, `hi.value`. */
export interface HalvesHelper {
  t: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number) => number;
  lo: WebAssembly.Global;
  hi: WebAssembly.Global;
}

const made = new WeakMap<WasmHelper, HalvesHelper | null>();
let module: WebAssembly.Module | undefined;

/** The helper `wasm` callable by halves, or undefined when it cannot be imported (another signature). */
export function halvesHelper(wasm: WasmHelper): HalvesHelper | undefined {
  let h = made.get(wasm);
  if (h === undefined) {
    try {
      module ??= new WebAssembly.Module(trampolineBytes());
      const e = new WebAssembly.Instance(module, { m: { h: wasm } }).exports as unknown as HalvesHelper;
      h = { t: e.t, lo: e.lo, hi: e.hi };
    } catch {
      h = null;
    }
    made.set(wasm, h);
  }
  return h ?? undefined;
}

/** Signed LEB128 of a bigint (i64.const immediates). */
function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function trampolineBytes(): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c;
  const type = section(1, [2, 0x60, 5, I64, I64, I64, I64, I64, 1, I64, 0x60, 10, ...Array(10).fill(I32), 1, F64]);
  const imp = section(2, [1, 1, 0x6d /* m */, 1, 0x68 /* h */, 0x00, 0]);
  const func = section(3, [1, 1]);
  const globals = section(6, [2, I32, 1, 0x41, 0, 0x0b, I32, 1, 0x41, 0, 0x0b]);
  const exp = section(7, [3, 1, 0x74 /* t */, 0x00, 1, 2, 0x6c, 0x6f /* lo */, 0x03, 0, 2, 0x68, 0x69 /* hi */, 0x03, 1]);
  const code: number[] = [1, 1, I64]; // one local: the result
  for (let k = 0; k < 5; k++) {
    // (i64.extend_i32_u lo) | (i64.extend_i32_u hi) << 32
    code.push(0x20, 2 * k, 0xad, 0x20, 2 * k + 1, 0xad, 0x42, 32, 0x86, 0x84);
  }
  code.push(0x10, 0, 0x21, 10); // call h; local.set 10
  code.push(0x20, 10, 0x42, ...sleb(1n << 53n), 0x7c, 0x42, ...sleb(1n << 54n), 0x58); // v + 2^53 <=u 2^54
  code.push(0x04, F64, 0x20, 10, 0xb9); // if: f64.convert_i64_s v
  code.push(0x05, 0x20, 10, 0xa7, 0x24, 0, 0x20, 10, 0x42, 32, 0x88, 0xa7, 0x24, 1); // else: lo, hi
  code.push(0x44, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0x0b, 0x0b); // NaN; end if; end
  const body = [...uleb(code.length), ...code];
  const codeSec = section(10, [1, ...body]);
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imp, ...func, ...globals, ...exp, ...codeSec]);
}
