// Programs benchmark: every program of the programs/ suite on a representative packet, through
// wxdp's testRun (JIT: verified, hence unchecked — the default — and checked; in-wasm repeat loop) and the kernel's
// BPF_PROG_TEST_RUN (bpftool, repeat N) in the same run, with the same object and map setup, the
// three sampled in turns. Reports ns/run (best sample of each) and the ratios.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Datapath } from '../src/control/datapath.js';
import { parseObject } from '../src/elf/index.js';
import { kernelAvailability, loadKernelObject, xdpContext } from '../src/oracle/index.js';
import type * as Suite from '../scripts/program-suite.mjs';
import { warmAdaptive } from './engine.js';
import { projectRoot } from './project_root.js';

export interface ProgramRow {
  program: string;
  object: string;
  packet: string;
  retval: number;
  /** As loaded by default: verified, so running without run-time bounds checks. */
  wxdpNsPerRun: number;
  /** The same program loaded with `checked: true` (run-time bounds checks, as unverified programs run). */
  wxdpCheckedNsPerRun: number;
  kernelNsPerRun: number | null;
  /** wxdp (verified) / kernel. */
  ratio: number | null;
  /** wxdp checked / kernel. */
  checkedRatio: number | null;
  /** Why the row is over TARGET_RATIO × the kernel, or how it was measured when not as usual. */
  note: string;
}

/** The goal (issue 17): every program at or under half the kernel's ns/run. */
export const TARGET_RATIO = 0.5;

/** Known reasons a program stays over the target, from its profile (kept with the numbers they explain). */
const OVER_TARGET_WHY: Readonly<Record<string, string>> = {
  loop_bytes:
    "vectorised (src/jit/vectorize.ts): 16 bytes a step (two i16x8 multiplies), then 8 (v128.load8x8_u), 39 -> 16 ns; of the frame's 74 bytes the loop as written runs the last 2",
  xdp_flow_count:
    "the 40-byte key's jhash2 (three mix rounds and the final, a chain of dependent 32-bit operations) and the bucket and element loads waiting on it are most of the run, as in the kernel's inlined htab lookup; the key comes from the stores that built it (emit.ts keyRead), no longer a load the CPU cannot forward",
  xdp_lpm_firewall:
    'the inlined trie walk (emit.ts trieLookup): three nodes for 203.0.113.x, each a dependent load of the child picked from both, then the rule counter through the array; 5.9-6.2 ns against the kernel\'s 12, on the line',
  xdp_nat:
    "bpf_loop's 64 FNV-1a steps over the frame's head, each a dependent xor and multiply: about 0.8 ns a byte, 52 of the 66 ns (69 before the header's bpf_xdp_load_bytes of ihl * 4 bytes was copied inline, emit.ts bytesVariable; its bpf_csum_diff calls are inline too) (the same frame cut to 63 bytes hashes 14 and runs in 29 ns); the kernel's 105 ns hold the same chain, so 0.5x would need the rest to take nothing",
  xdp_flow_stats:
    "the LRU_HASH update with BPF_ANY (a fresh element from the LRU's free lists every frame) runs in the fast path; its key's hash comes from the element the last update linked when it holds the key (assembly/maps/lru.ts MAPS_LRU_LAST: a flow's next frame hashes once, in the inlined lookup) and the local free list's pop and push are written into htabLruUpdate: 60.8 -> 50.5 ns. The three lookups are inlined (emit.ts hashLookup, LRU_HASH too), two 40-byte jhash2 of the rest",
  xdp_map_in_map:
    "every lookup is inlined but the inner LRU_HASH's (its map is known at run time only: a call into the fast path, whose 16-byte-key lookup reads the key a byte at a time: the program's u16 and u8 stores had made each word load wait for them, 21.4 -> 17.1 ns); the kernel's figure moves between 39 and 45 ns",
  xdp_syncookie:
    "five SipHash-2-4 per SYN, each SipRound four dependent steps as in the kernel's: the cookie's two hashes made in one interleaved pass (mphash.ts siphashPair), the valid ACK's two in turn (the second's count waits on the first), the future ACK's one; 134 -> 122 ns from the pair and the rounds written out, 122 -> 117.5 ns from the options' bpf_xdp_load_bytes copied inline (emit.ts bytesVariable). The hashes are over half of the run in V8's profile; the conntrack lookup most of the rest",
  xdp_ct_errs:
    "four bpf_tcp_raw_gen_syncookie (two IPv4, two IPv6: 40-byte messages, 16 SipRounds a hash), each a pair of hashes in one interleaved pass (mphash.ts siphashPair; 264 -> 221 ns), about half of the run in V8's profile, beside nine bpf_xdp_ct_lookup calls through their error checks; the hashes are the kernel's algorithm at its speed",
  xdp_trim:
    "3.3 ns, of which about 1.2 are the repeat loop's call per run (xdp_drop's and xdp_pass's figure); the rest is some 35 x86 instructions (the value's memset and stores, two dependent loads ahead of the parse). As in the kernel's test_run the frame is trimmed by the first run only, so no helper call is timed (an inlined bpf_xdp_adjust_tail measured the same); the kernel's figure is whole nanoseconds (bpftool's 6), so 0.5x is 3.0 ns or less",
  loop_toeplitz:
    "the bit loop is unrolled (src/jit/unroll.ts: eight constant shifts a byte, no counter); `window << 1 | bit` is an add (src/jit/known_zeros.ts: no bit in common), one leaq, and each bit's mask -(t >> b & 1) a shl and sar: 80.2 -> 66.4 ns (0.57 -> 0.47x); left is the 96 bits' dependent leaq chain and the outer loop over the 12 bytes",
  xdp_parse_percpu:
    "xdp_parse with PERCPU_ARRAY maps (the parser bench workers scales): the kernel's run is 4 ns faster than xdp_parse's because it drops a lock-prefixed add, which wxdp's single-thread build never had (a plain add is exact on one thread), while each per-CPU value costs wxdp the region's offset (the run's CPU, clamped and times the CPU stride, computed once at the function's entry: 9.6 -> 9.1 ns in a loaded A/B); xdp_parse's own 8.4 ns would be 0.55x of this kernel figure",
  loop_tcpopt:
    "a TCP options walk that branches on each option's kind and bumps an array counter per kind seen: its wasm is tight already (no store or call to remove), 13 ns against the kernel's 17; not vectorisable (each step's length depends on the byte it reads)",
  loop_csum:
    "the copy loop and the bpf_loop callbacks: the copy's three blocks are unrolled with their side exits (unroll.ts chains: 30 copies of two tests, a load and a store) and the callback's i >= 30 test is gone under the verifier's bound on bpf_loop's count (n <= 30, loop_index.ts): 19.6 -> 13.3 ns in a loaded A/B; what is left is the callbacks' loop (four calls a turn) and c->sum's load and store per word (keeping it in a local measured slower twice, 16.2 -> 17.9 and 16.5 -> 18.1 ns: this CPU forwards the store to the next load at no cost)",
  xdp_proto_count:
    "3.5-3.9 ns against the kernel's 7-8 (0.3 ns less since the per-CPU offset is computed once per run and the repeat loop stopped reloading zero arguments), of which about 1.1 are the repeat loop's call per run (xdp_drop's figure) and the kernel's figure is whole nanoseconds (bpftool), so the row moves between 0.46x and 0.54x with the rounding",
};

function noteFor(program: string, verified: boolean, ratio: number | null): string {
  if (!verified) return "not verified by wxdp (its verifier's budget): both columns checked";
  if (ratio === null || ratio <= TARGET_RATIO) return '';
  return `over ${TARGET_RATIO}x: ${OVER_TARGET_WHY[program] ?? 'not analysed yet'}`;
}

/** Fallback packet: a TCP SYN to the load balancer's VIP, a full parse for most programs. */
const DEFAULT_PACKET = 'ipv4-tcp-syn-vip80';

/**
 * The packet a program is measured on: the first corpus frame the kernel's recording shows it acting
 * on (data changed, or a verdict other than XDP_PASS/ABORTED), so the bench times the work the program
 * exists for (an echo reply, an encapsulation, a drop), not just its pass path.
 */
export function benchPacket(root: string, program: string): string {
  try {
    const exp = JSON.parse(readFileSync(join(root, 'programs', 'expected', `${program}.json`), 'utf8')) as Suite.ExpectedFile;
    const acting = exp.packets.find((p) => p.dataChanged || (p.retval !== 2 && p.retval !== 0));
    if (acting) return acting.packet;
  } catch {
    // no recording for this program: use the default packet
  }
  return DEFAULT_PACKET;
}

async function loadSuite(): Promise<typeof Suite> {
  return (await import(pathToFileURL(join(projectRoot(), 'scripts', 'program-suite.mjs')).href)) as typeof Suite;
}

export async function runProgramsBench(opts: { quick?: boolean; log?: (s: string) => void; only?: string } = {}): Promise<ProgramRow[]> {
  const suite = await loadSuite();
  const root = projectRoot();
  const corpus = suite.loadCorpus(root);
  const byName = new Map(corpus.map((p) => [p.name, p]));
  const repeat = opts.quick ? 100_000 : 1_000_000;
  const kernelOk = kernelAvailability().ok;
  const rows: ProgramRow[] = [];
  for (const config of suite.loadConfigs(root)) {
    const names = config.programs ?? parseObject(new Uint8Array(readFileSync(config.objectPath))).programs.map((p) => p.name);
    for (const name of names) {
      if (opts.only && !name.includes(opts.only)) continue;
      opts.log?.(`  ${name}…\n`);
      const pkt = byName.get(benchPacket(root, name)) ?? byName.get(DEFAULT_PACKET) ?? corpus[0]!;
      const ctx = config.ctx ? { ingressIfindex: config.ctx.ingressIfindex ?? 1, rxQueueIndex: config.ctx.rxQueueIndex ?? 0 } : undefined;
      // A warmed-up wxdp program: each call is one sample of `repeat` runs.
      const prepare = async (checked: boolean): Promise<() => { ns: number; retval: number }> => {
        const d = await Datapath.create({ ncpus: 2, cpu: 0 });
        // The default load verifies the program and runs it unchecked; `checked: true` keeps the checks.
        const o = await d.loadObject(config.objectPath, checked || !config.wxdpVerify ? { checked: true, verify: config.wxdpVerify } : {});
        for (const s of config.setup) o.map(s.map).update(s.keyBytes, s.valueBytes, { any: 0, noexist: 1, exist: 2 }[s.flag]);
        const p = o.program(name);
        const run = (n: number) => p.testRun({ data: pkt.data, repeat: n, ...(ctx ? { ctx } : {}) });
        // Warm up in short calls so V8 tiers the program up (a long first call stays in Liftoff).
        warmAdaptive(() => run(1000).duration, opts.quick ? 50 : 300, opts.quick ? 2000 : 5000);
        return () => {
          const r = run(repeat);
          return { ns: r.duration, retval: r.retval };
        };
      };
      const checked = await prepare(true);
      const unchecked = await prepare(false);
      let kernel: { sample: () => number; close: () => void } | undefined;
      if (kernelOk) {
        try {
          const k = suite.loadForRecording({ loadKernelObject, xdpContext } as unknown as Suite.SuiteOracle, config) as unknown as ReturnType<typeof loadKernelObject>;
          try {
            const kp = k.program(name);
            const kctx = config.ctx ? xdpContext({ dataLength: pkt.data.length, ...config.ctx }) : undefined;
            kp.run({ data: pkt.data, repeat: 1000, ...(kctx ? { ctx: kctx } : {}) });
            kernel = { sample: () => kp.run({ data: pkt.data, repeat, ...(kctx ? { ctx: kctx } : {}) }).durationNs, close: () => k.close() };
          } catch (e) {
            k.close();
            throw e;
          }
        } catch (e) {
          opts.log?.(`    kernel baseline n/a: ${(e as Error).message.split('\n')[0]}\n`);
        }
      }
      // Samples taken in turns, best of each: a slow phase of a busy machine then slows all three
      // alike, and the ratio compares like with like.
      let best = { checked: Infinity, unchecked: Infinity, kernel: Infinity };
      let retval = 0;
      try {
        for (let round = 0; round < (opts.quick ? 3 : 5); round++) {
          const c = checked();
          retval = c.retval;
          best = {
            checked: Math.min(best.checked, c.ns),
            unchecked: Math.min(best.unchecked, unchecked().ns),
            kernel: kernel ? Math.min(best.kernel, kernel.sample()) : Infinity,
          };
        }
      } finally {
        kernel?.close();
      }
      const kNs = kernel ? best.kernel : null;
      rows.push({
        program: name,
        object: config.object,
        packet: pkt.name,
        retval,
        wxdpNsPerRun: best.unchecked,
        wxdpCheckedNsPerRun: best.checked,
        kernelNsPerRun: kNs,
        ratio: kNs ? best.unchecked / kNs : null,
        checkedRatio: kNs ? best.checked / kNs : null,
        note: noteFor(name, config.wxdpVerify, kNs ? best.unchecked / kNs : null),
      });
    }
  }
  return rows;
}

export function formatProgramsTable(rows: readonly ProgramRow[]): string {
  const head = ['program', 'packet', 'retval', 'wxdp ns/run', 'checked ns/run', 'kernel ns/run', 'wxdp / kernel', 'checked / kernel', 'note'];
  const f = (v: number | null, d = 1) => (v === null ? 'n/a' : v.toFixed(d));
  const body = rows.map((r) => [
    r.program,
    r.packet,
    String(r.retval),
    f(r.wxdpNsPerRun),
    f(r.wxdpCheckedNsPerRun),
    f(r.kernelNsPerRun, 0),
    r.ratio === null ? 'n/a' : r.ratio.toFixed(2) + 'x',
    r.checkedRatio === null ? 'n/a' : r.checkedRatio.toFixed(2) + 'x',
    r.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const last = head.length - 1;
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 || i === last ? c.padEnd(i === last ? 0 : widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
