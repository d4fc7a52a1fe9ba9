// The AssemblyScript module and the TypeScript side must agree on the shared memory layout.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_FRAMES, STACK_SIZE } from '../../src/isa/opcodes.js';
import * as L from '../../src/runtime/memory.js';
import { EngineMemory, INPUT_BASE, STACK_BASE, STACK_TOP } from '../../src/runtime/memory.js';
import { FastPath } from '../../src/runtime/fastpath.js';

const wasmPath = new URL('../../build/fastpath.wasm', import.meta.url);

describe.skipIf(!existsSync(wasmPath))('assembly/ fast-path module', async () => {
  const mem = new EngineMemory();
  const fp = await FastPath.load(mem);
  const x = fp.exports as Record<string, WebAssembly.Global | ((...a: number[]) => number)>;
  const g = (name: string) => (x[name] as WebAssembly.Global).value as number;

  it('imports the engine memory and exports the same layout as src/runtime/memory.ts', () => {
    expect(g('STACK_SIZE')).toBe(STACK_SIZE);
    expect(g('MAX_FRAMES')).toBe(MAX_FRAMES);
    expect(g('STACK_BASE')).toBe(STACK_BASE);
    expect(g('STACK_TOP')).toBe(STACK_TOP);
    expect(g('INPUT_BASE')).toBe(INPUT_BASE);
    for (const [as, ts] of [
      ['CTX_BASE', L.CTX_BASE], ['RUN_BASE', L.RUN_BASE], ['AS_DATA_BASE', L.AS_DATA_BASE], ['INPUT_MAX', L.INPUT_MAX],
      ['FRAME_BASE', L.FRAME_BASE], ['FRAME_SIZE', L.FRAME_SIZE], ['XDP_PACKET_HEADROOM', L.XDP_PACKET_HEADROOM],
      ['FRAME_TAILROOM_RESERVED', L.FRAME_TAILROOM_RESERVED], ['XDP_FRAME_STRUCT', L.XDP_FRAME_STRUCT], ['ARENA_BASE', L.ARENA_BASE],
      ['MAX_TAIL_CALL_CNT', L.MAX_TAIL_CALL_CNT], ['MAP_ITER_SIZE', L.MAP_ITER_SIZE], ['MAP_ITER_KEY', L.MAP_ITER_KEY],
      ['MAP_ITER_VALUE', L.MAP_ITER_VALUE],
    ] as const) expect(g(as), as).toBe(ts);
    for (const [k, v] of Object.entries(L.CTX)) expect(g(`CTX_${k}`), `CTX_${k}`).toBe(v);
    for (const [k, v] of Object.entries(L.RUN)) expect(g(`RUN_${k}`), `RUN_${k}`).toBe(v);
    for (const [k, v] of Object.entries(L.MAP_HDR)) expect(g(k === 'SIZE' ? 'MAP_HEADER_SIZE' : `MAP_${k}`), `MAP_${k}`).toBe(v);
  });

  it('agrees on the data path: root, rings, descriptors, devices, queues, counters, drop reasons, sockets', () => {
    for (const [as, ts] of [
      ['DP_BASE', L.DP_BASE], ['DP_DEVS', L.DP_DEVS], ['MAX_DEVICES', L.MAX_DEVICES], ['DP_XSKS', L.DP_XSKS], ['MAX_XSKS', L.MAX_XSKS],
      ['DP_TRACE', L.DP_TRACE], ['TRACE_SLOTS', L.TRACE_SLOTS], ['TRACE_EVENT_SIZE', L.TRACE_EVENT_SIZE], ['QUEUE_SIZE', L.QUEUE_SIZE],
      ['QSTAT_COUNT', L.QSTAT_COUNT], ['MAX_REDIRECT_HOPS', L.MAX_REDIRECT_HOPS], ['NAPI_BUDGET', L.NAPI_BUDGET],
      ['XSK_FRAME_SIZE', L.XSK_FRAME_SIZE], ['DROP_REASONS', L.DROP_REASONS.length],
      ['DP_BURST', L.DP_BURST], ['BURST_MAX', L.BURST_MAX], ['BURST_RECORD_SIZE', L.BURST_RECORD_SIZE],
    ] as const) expect(g(as), as).toBe(ts);
    const pairs: Array<[string, Record<string, number>]> = [
      ['DP_', L.DP], ['DESC_', L.DESC], ['DEV_', L.DEV], ['Q_', L.Q], ['QSTAT_', L.QSTAT], ['XSK_', L.XSK],
    ];
    for (const [prefix, obj] of pairs) for (const [k, v] of Object.entries(obj)) expect(g(`${prefix}${k}`), `${prefix}${k}`).toBe(v);
    for (const [k, v] of Object.entries(L.RING)) expect(g(k === 'HEADER_SIZE' ? 'RING_HEADER_SIZE' : `RING_${k}`), `RING_${k}`).toBe(v);
    L.DROP_REASONS.forEach((r, i) => expect(g(`DROP_${r}`), `DROP_${r}`).toBe(i));
    L.XDP_ACTIONS.forEach((a, i) => expect(g(a), a).toBe(i));
  });

  it('exports no function with a defaulted parameter (a JS call leaving one out would trap in the argumentsLength trampoline)', () => {
    // AssemblyScript exports __setArgumentsLength only when some export has a @varargs wrapper
    expect(Object.keys(x)).not.toContain('__setArgumentsLength');
  });

  it('computes the RFC 1071 checksum: a valid IPv4 header sums to 0xffff', () => {
    // A real IPv4 header whose checksum field (0xb861) is correct (worked example widely used for RFC 1071).
    const hdr = Uint8Array.from([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]);
    const region = mem.placeInput(hdr);
    const csumPartial = x.csumPartial as (p: number, l: number, s: number) => number;
    const csumFold = x.csumFold as (s: number) => number;
    expect(csumPartial(region.start, hdr.length, 0)).toBe(0xffff);
    // With the checksum field zeroed, the folded complement is the checksum itself.
    mem.placeInput(Uint8Array.from(hdr, (b, i) => (i === 10 || i === 11 ? 0 : b)));
    expect(csumFold(csumPartial(region.start, hdr.length, 0))).toBe(0xb861);
    // An odd length pads the last byte with zero: bytes 01 02 03 → 0x0102 + 0x0300.
    mem.placeInput(Uint8Array.of(1, 2, 3));
    expect(csumPartial(region.start, 3, 0)).toBe(0x0402);
  });
});

if (!existsSync(wasmPath)) {
  describe('assembly/ fast-path module', () => {
    it.skip('skipped: build/fastpath.wasm is missing (run `npm run build`)', () => {});
  });
}
