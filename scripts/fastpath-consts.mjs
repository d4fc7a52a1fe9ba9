// The fast path's layout constants moved from exports to one custom section (run by `npm run build:as`
// after asc, on build/fastpath.wasm and build/fastpath.shared.wasm, in place).
//
// Reads: the module's import, global and export sections. Sets: an export section without the exports
// of immutable globals whose initialiser is a constant (AssemblyScript's `export const`, ~1,550 of them),
// and a custom section `wxdp.consts` holding them as JSON ({ name: number, or [ 'i64', decimal ] }).
// Every other byte stays as asc wrote it. Why: V8 builds the instance's exports object one export at a
// time (name internalised, property added, a WebAssembly.Global made per global): with ~2,250 exports
// that was most of Datapath.create(). src/runtime/fastpath.ts reads the section once per process.
// Running it twice does nothing the second time (no constant exports are left to move).

import { readFileSync, writeFileSync } from 'node:fs';

const SECTION = 'wxdp.consts';

function reader(buf, pos) {
  const r = {
    pos,
    byte: () => buf[r.pos++],
    u32() {
      let v = 0;
      let shift = 0;
      for (;;) {
        const b = buf[r.pos++];
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) return v;
      }
    },
    sleb() {
      let v = 0n;
      let shift = 0n;
      let b;
      do {
        b = buf[r.pos++];
        v |= BigInt(b & 0x7f) << shift;
        shift += 7n;
      } while (b >= 0x80);
      if (b & 0x40) v -= 1n << shift;
      return v;
    },
    name() {
      const n = r.u32();
      const s = buf.toString('utf8', r.pos, r.pos + n);
      r.pos += n;
      return s;
    },
  };
  return r;
}

function uleb(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

const encName = (s) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([uleb(b.length), b]);
};
const section = (id, payload) => Buffer.concat([Buffer.from([id]), uleb(payload.length), payload]);

/**
 * A global's initialiser: its value when it is one i32/i64 const (what asc writes for `export const`),
 * else undefined (skipped: f32/f64/v128 consts, global.get, ref.*). Throws on what it cannot skip.
 */
function constInit(r) {
  const op = r.byte();
  let v;
  if (op === 0x41) v = Number(r.sleb());
  else if (op === 0x42) v = ['i64', r.sleb().toString()];
  else if (op === 0x43) r.pos += 4;
  else if (op === 0x44) r.pos += 8;
  else if (op === 0x23 || op === 0xd2) r.u32();
  else if (op === 0xd0) r.byte();
  else if (op === 0xfd && r.u32() === 12) r.pos += 16; // v128.const
  else throw new Error(`fastpath-consts: global initialiser opcode 0x${op.toString(16)} is not handled`);
  if (r.byte() !== 0x0b) throw new Error('fastpath-consts: global initialiser longer than one instruction');
  return v;
}

function rewrite(file) {
  const buf = readFileSync(file);
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error(`${file}: not a wasm module`);
  const sections = [];
  for (let r = reader(buf, 8); r.pos < buf.length; ) {
    const at = r.pos; // the section's id byte: its bytes whole, however its size was encoded
    const id = r.byte();
    const size = r.u32();
    sections.push({ id, start: r.pos, bytes: buf.subarray(at, r.pos + size) });
    r.pos += size;
  }
  let importedGlobals = 0;
  const constGlobals = new Map(); // global index -> value
  for (const s of sections) {
    const r = reader(buf, s.start);
    if (s.id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) r.u32();
        else if (kind === 1) { r.byte(); const f = r.byte(); r.u32(); if (f & 1) r.u32(); }
        else if (kind === 2) { const f = r.byte(); r.u32(); if (f & 1) r.u32(); }
        else if (kind === 3) { r.byte(); r.byte(); importedGlobals++; }
        else throw new Error(`${file}: import kind ${kind} is not handled`);
      }
    } else if (s.id === 6) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const type = r.byte(); // 0x7f i32, 0x7e i64
        const mutable = r.byte();
        const v = constInit(r);
        if (!mutable && v !== undefined && (type === 0x7f || type === 0x7e)) constGlobals.set(importedGlobals + i, v);
      }
    }
  }
  const exportSection = sections.find((s) => s.id === 7);
  if (!exportSection) throw new Error(`${file}: no export section`);
  const r = reader(buf, exportSection.start);
  const kept = [];
  const consts = {};
  for (let n = r.u32(); n > 0; n--) {
    const from = r.pos;
    const name = r.name();
    const kind = r.byte();
    const index = r.u32();
    if (kind === 3 && constGlobals.has(index)) consts[name] = constGlobals.get(index);
    else kept.push(buf.subarray(from, r.pos));
  }
  const moved = Object.keys(consts).length;
  if (moved === 0) {
    console.log(`fastpath-consts: ${file}: no constant exports (already moved)`);
    return;
  }
  if (sections.some((s) => s.id === 0 && reader(buf, s.start).name() === SECTION)) {
    throw new Error(`${file}: has a ${SECTION} section and constant exports both`);
  }
  const exports = section(7, Buffer.concat([uleb(kept.length), ...kept]));
  const custom = section(0, Buffer.concat([encName(SECTION), Buffer.from(JSON.stringify(consts), 'utf8')]));
  const out = Buffer.concat([buf.subarray(0, 8), ...sections.map((s) => (s === exportSection ? exports : s.bytes)), custom]);
  new WebAssembly.Module(out); // validates
  writeFileSync(file, out);
  console.log(`fastpath-consts: ${file}: ${moved} constant exports moved to the ${SECTION} section, ${kept.length} exports left`);
}

for (const file of process.argv.slice(2)) rewrite(file);
