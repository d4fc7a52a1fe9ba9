// Checked mode's run-time view of a helper's prototype (src/verifier/protos.ts): before a helper runs,
// its pointer arguments must lie in the run's regions, as the verifier proves for a verified program
// (check_func_arg). The fast path's helpers trust their arguments — a key pointer, a buffer, a map
// header — so an unverified program could otherwise read or write anywhere through them. Both engines
// call helperArgFault before the call and throw what it returns: the same fault at the same call.
//
//   CONST_MAP_PTR        a map the program names (Region.map), of a type the helper accepts
//   PTR_TO_MAP_KEY       key_size bytes readable          PTR_TO_MAP_VALUE   value_size bytes readable
//   PTR_TO_UNINIT_MAP_VALUE  value_size bytes writable    PTR_TO_CTX         the ctx itself
//   PTR_TO_MEM (+ size)  readable (bpf_fib_lookup's params: writable); _OR_NULL: NULL with size 0 too
//   PTR_TO_UNINIT_MEM    writable          PTR_TO_FIXED_SIZE_MEM  the proto's arg_size readable
//   PTR_TO_DYNPTR        16 bytes holding an XDP dynptr over the ctx or a local one within the regions
//   PTR_TO_RINGBUF_MEM_RELEASE  a reserved (BUSY) record whose header lies in the ring of a ringbuf map
//                        of the program and leads back to it (pg_off), its length within the ring: the
//                        commit finds the ring from that header, which the program can write
//   PTR_TO_DYNPTR_RELEASE_RINGBUF  the same of the dynptr's record (a NULL dynptr passes)
// bpf_loop's callback is checked by each engine (one of the program's own BPF_PSEUDO_FUNC values:
// jit/emit.ts, interp checkLoop); socket programs (bpf_sk_assign…) do not run checked: attaching an
// unverified one is refused (src/control/sk_programs.ts).
//
// kfuncs (lowered to helper ids KFUNC_HELPER_BASE + BTF id) by their prototype in helpers/kfuncs.ts, as
// check_kfunc_args proves them: `ctx` the ctx; `mem` (KF_ARG_PTR_TO_MEM) its size readable and writable
// (check_mem_reg checks both); `dynptr` as PTR_TO_DYNPTR, writable when the kfunc writes through it
// (slice_rdwr, memset, copy's destination); `dynptr_uninit` 16 writable bytes; `buffer_szk`
// (buffer__opt, buffer__szk) NULL or its size writable; `mem_sz` (ptr, ptr__sz) its size readable and
// writable; `conn` (bpf_ct_release's nf_conn) is not dereferenced by wxdp's release; `map` a map of the
// program (Region.map).

import { memFault, RuntimeFault } from '../errors.js';
import { ITER_SLOTS, KFUNC_HELPER_BASE, kfuncById, type KfuncDef } from '../helpers/kfuncs.js';
import { Arg, PROTOS } from '../verifier/protos.js';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, MAPS_LAYOUT, MapType } from '../maps/uapi.js';
import { CTX, CTX_BASE, MAP_HDR, type EngineMemory, type Region } from './memory.js';

const FIB_LOOKUP = 69;

const POINTER_ARGS = new Set<Arg>([
  Arg.CONST_MAP_PTR, Arg.PTR_TO_MAP_KEY, Arg.PTR_TO_MAP_VALUE, Arg.PTR_TO_UNINIT_MAP_VALUE, Arg.PTR_TO_CTX,
  Arg.PTR_TO_MEM, Arg.PTR_TO_MEM_OR_NULL, Arg.PTR_TO_UNINIT_MEM, Arg.PTR_TO_DYNPTR, Arg.PTR_TO_DYNPTR_UNINIT_LOCAL,
  Arg.PTR_TO_FIXED_SIZE_MEM, Arg.PTR_TO_DYNPTR_UNINIT_RINGBUF, Arg.PTR_TO_DYNPTR_RELEASE_RINGBUF, Arg.PTR_TO_RINGBUF_MEM_RELEASE,
  Arg.PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED, Arg.PTR_TO_UNINIT_MEM_OR_NULL, Arg.PTR_TO_CONST_STR,
]);

/**
 * Helper ids the loader lowers bpf_map_update_elem / bpf_map_delete_elem calls to in a program naming a map whose
 * value holds a bpf_list_head (control/graph_maps.ts, which frees the lists): checked as the helpers they stand for.
 * (Unchecked before, rv54: such a program's update copied value_size bytes from any address into a map.)
 */
export const GRAPH_MAP_UPDATE = 0x190002;
export const GRAPH_MAP_DELETE = 0x190003;
const LOWERED: ReadonlyMap<number, number> = new Map([
  [GRAPH_MAP_UPDATE, 2],
  [GRAPH_MAP_DELETE, 3],
]);
/** A helper's prototype by id, a lowered id's by the helper it stands for. */
const protoOf = (id: number): (typeof PROTOS)[number] | undefined => PROTOS[LOWERED.get(id) ?? id];

/** The kfunc a lowered helper id calls, if it is one. */
const kfuncOf = (id: number): KfuncDef | undefined => (id >= KFUNC_HELPER_BASE && !LOWERED.has(id) ? kfuncById(id - KFUNC_HELPER_BASE) : undefined);

/** Whether helper `id` takes an argument checked here (the JIT emits the check only for those). */
export function helperHasPointerArgs(id: number): boolean {
  const kf = kfuncOf(id);
  if (kf) return kf.args.some((a) => a.kind !== 'scalar' && a.kind !== 'size' && a.kind !== 'conn');
  return protoOf(id)?.args.some((a) => POINTER_ARGS.has(a)) ?? false;
}

/**
 * Whether the check of helper `id`'s arguments reads only what a call site's memo may keep (its
 * arguments, the regions, the packet bounds, map headers): not a dynptr's contents.
 */
export function helperArgsMemoSafe(id: number, safe: (a: Arg) => boolean): boolean {
  const kf = kfuncOf(id);
  if (kf) return kf.args.every((a) => a.kind !== 'dynptr');
  return protoOf(id)?.args.every(safe) ?? true;
}

function inRegions(regions: readonly Region[], mem: EngineMemory, a: bigint, size: bigint, write: boolean): boolean {
  return regions.some((g) => {
    if (write && !g.writable) return false;
    if (!g.packet) return a >= BigInt(g.start) && a + size <= BigInt(g.end);
    const v = mem.view();
    return a >= BigInt(v.getUint32(CTX_BASE + CTX.DATA_META, true)) && a + size <= BigInt(v.getUint32(CTX_BASE + CTX.DATA_END, true));
  });
}

/**
 * The fault helper `id` called at `pc` with r1..r5 = `args` would commit in a checked run over
 * `regions` (the stack among them), or undefined when its arguments are in bounds.
 */
export function helperArgFault(id: number, args: readonly bigint[], regions: readonly Region[], mem: EngineMemory, pc: number): RuntimeFault | undefined {
  const kf = kfuncOf(id);
  if (kf) return regions.some((g) => g.packet) ? kfuncArgFault(kf, args, regions, mem, pc) : undefined;
  const proto = protoOf(id);
  // Only XDP runs (a packet region) know their maps; other checked runs (ISA tests) pass helpers as they are.
  if (!proto || !regions.some((g) => g.packet)) return undefined;
  let map: number | undefined;
  for (let i = 0; i < proto.args.length && i < 5; i++) {
    const kind = proto.args[i]!;
    const a = BigInt.asUintN(64, args[i]!);
    const size = (n: number): bigint => BigInt(n);
    const need = (n: bigint, write: boolean): RuntimeFault | undefined =>
      n > 0n && !inRegions(regions, mem, a, n, write) ? memFault(pc, a, Number(n), write) : undefined;
    let f: RuntimeFault | undefined;
    switch (kind) {
      case Arg.CONST_MAP_PTR: {
        const own = regions.find((g) => g.map !== undefined && BigInt(g.map) === a);
        const type = own ? mem.view().getUint32(own.map! + MAP_HDR.TYPE, true) : -1;
        if (!own || (proto.mapTypes && !proto.mapTypes.includes(type))) {
          return new RuntimeFault('RUN_HELPER', `helper ${id} argument ${i + 1} (0x${a.toString(16)}) is not a map of this program it accepts`, pc, a);
        }
        map = own.map!;
        break;
      }
      case Arg.PTR_TO_MAP_KEY:
      case Arg.PTR_TO_MAP_VALUE:
      case Arg.PTR_TO_UNINIT_MAP_VALUE: {
        if (map === undefined) break;
        const v = mem.view();
        const n = v.getUint32(map + (kind === Arg.PTR_TO_MAP_KEY ? MAP_HDR.KEY_SIZE : MAP_HDR.VALUE_SIZE), true);
        f = need(size(n), kind === Arg.PTR_TO_UNINIT_MAP_VALUE);
        break;
      }
      case Arg.PTR_TO_CTX:
        if (a !== BigInt(CTX_BASE)) return new RuntimeFault('RUN_HELPER', `helper ${id} argument ${i + 1} (0x${a.toString(16)}) is not the context`, pc, a);
        break;
      case Arg.PTR_TO_MEM:
      case Arg.PTR_TO_MEM_OR_NULL:
      case Arg.PTR_TO_UNINIT_MEM_OR_NULL:
      case Arg.PTR_TO_UNINIT_MEM: {
        const n = BigInt.asUintN(64, args[i + 1] ?? 0n);
        const orNull = kind === Arg.PTR_TO_MEM_OR_NULL || kind === Arg.PTR_TO_UNINIT_MEM_OR_NULL;
        if (orNull && a === 0n && n === 0n) break;
        f = need(n === 0n && !orNull ? 1n : n, kind === Arg.PTR_TO_UNINIT_MEM || kind === Arg.PTR_TO_UNINIT_MEM_OR_NULL || id === FIB_LOOKUP);
        break;
      }
      case Arg.PTR_TO_FIXED_SIZE_MEM:
      case Arg.PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED:
        f = need(size(proto.argSizes![i]!), kind === Arg.PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED);
        break;
      case Arg.PTR_TO_CONST_STR: {
        // a string the helper reads to its NUL: the NUL within the (non-packet) region the string starts in
        const g = regions.find((r) => !r.packet && a >= BigInt(r.start) && a < BigInt(r.end));
        const at = Number(a);
        const nul = g ? mem.bytes().subarray(at, g.end).indexOf(0) : -1;
        if (nul < 0) f = memFault(pc, a, g ? g.end - at + 1 : 1, false);
        break;
      }
      case Arg.PTR_TO_DYNPTR_UNINIT_LOCAL:
      case Arg.PTR_TO_DYNPTR_UNINIT_RINGBUF:
        f = need(16n, true);
        break;
      case Arg.PTR_TO_DYNPTR_RELEASE_RINGBUF: {
        f = dynptrFault(`helper ${id}`, i, a, regions, mem, pc, false);
        const data = f ? 0n : mem.view().getBigUint64(Number(a), true);
        if (data !== 0n) f = ringbufRecordFault(`helper ${id}`, i, a, data, regions, mem, pc);
        break;
      }
      case Arg.PTR_TO_DYNPTR:
        f = dynptrFault(`helper ${id}`, i, a, regions, mem, pc, id === 202);
        break;
      case Arg.PTR_TO_RINGBUF_MEM_RELEASE:
        f = ringbufRecordFault(`helper ${id}`, i, a, a, regions, mem, pc);
        break;
      default:
        break;
    }
    if (f) return f;
  }
  return undefined;
}

/**
 * A dynptr argument (argument `i` of `who`, at `a`): 16 writable bytes, and what they hold must be a
 * dynptr the program could have made: an XDP one over the ctx, or a local one over memory of the run's
 * regions (nothing forged past them), writable there when the callee writes through it.
 */
function dynptrFault(who: string, i: number, a: bigint, regions: readonly Region[], mem: EngineMemory, pc: number, write: boolean): RuntimeFault | undefined {
  if (!inRegions(regions, mem, a, 16n, true)) return memFault(pc, a, 16, true);
  const v = mem.view();
  const at = Number(a);
  const data = v.getBigUint64(at, true);
  if (data === 0n) return undefined;
  const raw = v.getUint32(at + 8, true);
  const type = (raw >>> 28) & 7;
  const span = BigInt(v.getUint32(at + 12, true)) + BigInt(raw & 0xffffff);
  const ok = type === 4 ? data === BigInt(CTX_BASE) : (type === 1 || type === 2) && inRegions(regions, mem, data, span, write);
  return ok ? undefined : new RuntimeFault('RUN_HELPER', `${who} argument ${i + 1} (0x${a.toString(16)}) is not a dynptr of this run`, pc, a);
}

const PAGE_SIZE = 4096;

/**
 * A record released by argument `i` of `who` (at `a`; the record's sample at `sample`): a reserved one of
 * a ringbuf map of this run (assembly/maps/ringbuf.ts ringbufCommit finds the map from its header).
 */
function ringbufRecordFault(who: string, i: number, a: bigint, sample: bigint, regions: readonly Region[], mem: EngineMemory, pc: number): RuntimeFault | undefined {
  const v = mem.view();
  const hdr = sample - BigInt(BPF_RINGBUF_HDR_SZ);
  for (const g of regions) {
    if (g.map === undefined || v.getUint32(g.map + MAP_HDR.TYPE, true) !== MapType.RINGBUF) continue;
    const data = BigInt(g.map + MAPS_LAYOUT.RB_DATA_OFFSET);
    const size = v.getUint32(g.map + MAPS_LAYOUT.RB_MASK, true) + 1;
    if (hdr < data || hdr >= data + BigInt(size) || (hdr - data) % 8n !== 0n) continue;
    const at = Number(hdr);
    const len = v.getUint32(at, true);
    const pgOff = v.getUint32(at + 4, true);
    const home = (at & ~(PAGE_SIZE - 1)) - pgOff * PAGE_SIZE;
    const n = len % BPF_RINGBUF_DISCARD_BIT;
    if (len >= BPF_RINGBUF_BUSY_BIT && home === g.map && n + BPF_RINGBUF_HDR_SZ <= size) return undefined;
    break;
  }
  return new RuntimeFault('RUN_HELPER', `${who} argument ${i + 1} (0x${a.toString(16)}) is not a reserved ringbuf record`, pc, a);
}

/** kfuncs that write through their dynptr argument `i`. */
function writesThrough(name: string, i: number): boolean {
  return name === 'bpf_dynptr_slice_rdwr' || name === 'bpf_dynptr_memset' || (name === 'bpf_dynptr_copy' && i === 0);
}

/** The fault kfunc `kf` called at `pc` with r1..r5 = `args` would commit in a checked XDP run, else undefined. */
function kfuncArgFault(kf: KfuncDef, args: readonly bigint[], regions: readonly Region[], mem: EngineMemory, pc: number): RuntimeFault | undefined {
  const who = `kfunc ${kf.name}`;
  for (let i = 0; i < kf.args.length && i < 5; i++) {
    const arg = kf.args[i]!;
    const a = BigInt.asUintN(64, args[i]!);
    const need = (n: bigint): RuntimeFault | undefined => (n > 0n && !inRegions(regions, mem, a, n, true) ? memFault(pc, a, Number(n), true) : undefined);
    let f: RuntimeFault | undefined;
    switch (arg.kind) {
      case 'ctx':
        if (a !== BigInt(CTX_BASE)) return new RuntimeFault('RUN_HELPER', `${who} argument ${i + 1} (0x${a.toString(16)}) is not the context`, pc, a);
        break;
      case 'mem':
        f = need(BigInt(arg.size));
        break;
      case 'dynptr':
        f = dynptrFault(who, i, a, regions, mem, pc, writesThrough(kf.name, i));
        break;
      case 'dynptr_uninit':
        f = need(16n);
        break;
      case 'iter':
        f = need(BigInt(8 * ITER_SLOTS[arg.type]));
        break;
      case 'irq_flag':
        f = need(8n);
        break;
      case 'map':
        if (!regions.some((g) => g.map !== undefined && BigInt(g.map) === a)) {
          return new RuntimeFault('RUN_HELPER', `${who} argument ${i + 1} (0x${a.toString(16)}) is not a map of this program`, pc, a);
        }
        break;
      case 'buffer_szk':
        if (a !== 0n) f = need(BigInt.asUintN(32, args[i + 1] ?? 0n));
        break;
      case 'mem_sz':
        f = need(BigInt.asUintN(64, args[i + 1] ?? 0n));
        break;
      default:
        break;
    }
    if (f) return f;
  }
  return undefined;
}
