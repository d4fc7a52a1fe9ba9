// Helper functions by the kernel's numbers (include/uapi/linux/bpf.h, `___BPF_FUNC_MAPPER`).
// Engines look helpers up here at load time (an unknown id is a load error naming it) and call `fn`
// with r1–r5; the result becomes r0. The XDP helpers arrive with the loader/maps work.

import { RuntimeFault } from '../errors.js';
import type { EngineMemory } from '../runtime/memory.js';

/** What a helper sees besides its arguments. */
export interface HelperContext {
  mem: EngineMemory;
  /** Index of the call instruction, for error messages. */
  pc: number;
}

export type HelperFn = (
  r1: bigint,
  r2: bigint,
  r3: bigint,
  r4: bigint,
  r5: bigint,
  ctx: HelperContext,
) => bigint;

export interface HelperDef {
  id: number;
  name: string;
  /** The JS implementation (the interpreter calls it; the JIT too unless `wasm` is set). */
  fn: HelperFn;
  /** The same helper as a wasm function of the fast path, (r1..r5 i64) -> i64: JIT'd code calls it directly. */
  wasm?: (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
}

/** Kernel helper names by id, for messages about helpers wxdp does not provide. */
export const KERNEL_HELPER_NAMES: Readonly<Record<number, string>> = {
  1: 'map_lookup_elem', 2: 'map_update_elem', 3: 'map_delete_elem', 4: 'probe_read', 5: 'ktime_get_ns',
  6: 'trace_printk', 7: 'get_prandom_u32', 8: 'get_smp_processor_id', 9: 'skb_store_bytes',
  10: 'l3_csum_replace', 11: 'l4_csum_replace', 12: 'tail_call', 13: 'clone_redirect',
  14: 'get_current_pid_tgid', 15: 'get_current_uid_gid', 16: 'get_current_comm', 17: 'get_cgroup_classid',
  18: 'skb_vlan_push', 19: 'skb_vlan_pop', 20: 'skb_get_tunnel_key', 21: 'skb_set_tunnel_key',
  22: 'perf_event_read', 23: 'redirect', 24: 'get_route_realm', 25: 'perf_event_output',
  26: 'skb_load_bytes', 27: 'get_stackid', 28: 'csum_diff', 44: 'xdp_adjust_head', 51: 'redirect_map',
  54: 'xdp_adjust_meta', 65: 'xdp_adjust_tail', 69: 'fib_lookup', 82: 'sk_select_reuseport', 86: 'sk_release', 87: 'map_push_elem', 88: 'map_pop_elem',
  89: 'map_peek_elem', 118: 'jiffies64', 124: 'sk_assign', 125: 'ktime_get_boot_ns', 130: 'ringbuf_output',
  131: 'ringbuf_reserve', 132: 'ringbuf_submit', 133: 'ringbuf_discard', 134: 'ringbuf_query',
  160: 'ktime_get_coarse_ns', 181: 'loop', 188: 'xdp_get_buff_len', 189: 'xdp_load_bytes',
  190: 'xdp_store_bytes',
};

export function helperName(id: number): string {
  const n = KERNEL_HELPER_NAMES[id];
  return n ? `bpf_${n}` : `helper #${id}`;
}

export class HelperTable {
  private readonly byId = new Map<number, HelperDef>();

  constructor(defs: Iterable<HelperDef> = []) {
    for (const d of defs) this.register(d);
  }

  register(def: HelperDef): this {
    this.byId.set(def.id, def);
    return this;
  }

  get(id: number): HelperDef | undefined {
    return this.byId.get(id);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  ids(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }
}

const start = process.hrtime.bigint();

/** Helpers that need no maps or packet: the clock, randomness, the CPU number, trace output. */
export function baseHelpers(opts: { trace?: (line: string) => void; cpu?: number } = {}): HelperTable {
  const trace = opts.trace ?? ((line: string) => process.stderr.write(line));
  let seed = 0x2545f491;
  return new HelperTable([
    { id: 5, name: 'ktime_get_ns', fn: () => process.hrtime.bigint() },
    { id: 125, name: 'ktime_get_boot_ns', fn: () => process.hrtime.bigint() },
    { id: 160, name: 'ktime_get_coarse_ns', fn: () => process.hrtime.bigint() },
    { id: 118, name: 'jiffies64', fn: () => (process.hrtime.bigint() - start) / 4_000_000n },
    {
      id: 7,
      name: 'get_prandom_u32',
      fn: () => {
        // xorshift32: cheap and deterministic per table; programs only need "random-looking".
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return BigInt(seed >>> 0);
      },
    },
    { id: 8, name: 'get_smp_processor_id', fn: () => BigInt(opts.cpu ?? 0) },
    // The "current task" of an XDP program is whatever ran when the packet arrived; here it is Node.
    { id: 14, name: 'get_current_pid_tgid', fn: () => (BigInt(process.pid) << 32n) | BigInt(process.pid) },
    { id: 15, name: 'get_current_uid_gid', fn: () => (BigInt(process.getgid?.() ?? 0) << 32n) | BigInt(process.getuid?.() ?? 0) },
    {
      id: 16,
      name: 'get_current_comm',
      fn: (buf, size, _a3, _a4, _a5, ctx) => {
        const n = Number(BigInt.asUintN(32, size));
        const addr = Number(BigInt.asUintN(32, buf));
        const bytes = ctx.mem.bytes();
        if (n <= 0 || addr + n > bytes.length || addr < 0x1000) {
          throw new RuntimeFault('RUN_HELPER', `bpf_get_current_comm: bad buffer 0x${addr.toString(16)} size ${n}`, ctx.pc);
        }
        // TASK_COMM_LEN is 16; the name is NUL-terminated and the rest zeroed, as the kernel's strscpy_pad.
        const name = new TextEncoder().encode(process.title.slice(0, 15));
        bytes.fill(0, addr, addr + n);
        bytes.set(name.subarray(0, n - 1), addr);
        return 0n;
      },
    },
    {
      id: 6,
      name: 'trace_printk',
      fn: (fmt, fmtSize, a3, a4, a5, ctx) => {
        const size = Number(BigInt.asUintN(32, fmtSize));
        const addr = Number(BigInt.asUintN(32, fmt));
        const bytes = ctx.mem.bytes();
        if (size <= 0 || addr + size > bytes.length || addr < 0x1000) {
          throw new RuntimeFault('RUN_HELPER', `bpf_trace_printk: bad format buffer 0x${addr.toString(16)} size ${size}`, ctx.pc);
        }
        let text = new TextDecoder().decode(bytes.subarray(addr, addr + size));
        const nul = text.indexOf('\0');
        if (nul >= 0) text = text.slice(0, nul);
        const line = formatPrintk(text, [a3, a4, a5]);
        trace(line);
        return BigInt(line.length);
      },
    },
  ]);
}

/** The subset of printf bpf_trace_printk accepts: %d %i %u %x %X %ld %lld %lu %llu %lx %llx %p %c %%. */
export function formatPrintk(fmt: string, args: bigint[]): string {
  let ai = 0;
  return fmt.replace(/%(l{0,2})([diuxXpc%])/g, (_m, l: string, conv: string) => {
    if (conv === '%') return '%';
    const raw = args[ai++] ?? 0n;
    const wide = l.length > 0 || conv === 'p';
    const u = wide ? BigInt.asUintN(64, raw) : BigInt.asUintN(32, raw);
    const s = wide ? BigInt.asIntN(64, raw) : BigInt.asIntN(32, raw);
    switch (conv) {
      case 'd':
      case 'i':
        return s.toString();
      case 'u':
        return u.toString();
      case 'x':
        return u.toString(16);
      case 'X':
        return u.toString(16).toUpperCase();
      case 'p':
        return '0x' + u.toString(16);
      default:
        return String.fromCharCode(Number(u & 0xffn));
    }
  });
}
