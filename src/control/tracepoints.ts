// Tracepoint programs on wxdp's XDP tracepoints (assembly/tracepoints.ts raises them from the fast path).
//
//   prog.attachTracepoint()   libbpf's bpf_program__attach for SEC("tp_btf/NAME"), SEC("raw_tp/NAME")
//                             (raw_tracepoint/NAME) and SEC("tracepoint/xdp/NAME") (tp/xdp/NAME): the
//                             program runs on every NAME event from then on, after those attached before
//                             it; the link's detach() takes it out. Loading an object attaches nothing,
//                             as bpf_object__load does not (the skeleton's __attach is this, per program).
//
// tp_btf and raw_tp programs get the kernel's argument array (src/verifier/tracing.ts has the
// prototypes); a raw_tp program whose ctx reads go past the event's arguments is EINVAL at attach
// (bpf_probe_register). A classic tracepoint program gets the event's record as tracefs lays it out
// (assembly/tracepoints.ts tpRecord); one whose reads go past the record is EACCES
// (perf_event_set_bpf_prog), and an event tracefs does not have on Linux 6.18 (xdp_redirect_map,
// xdp_redirect_map_err, or another category than xdp) is ENOENT, as libbpf's perf_event_open finds.
//
// wxdp's BTF for the structs tp_btf arguments point at is a few fields deep:
//
//   struct net_device { int ifindex; unsigned int mtu; }
//                                        the start of the wxdp device record (assembly/abi.ts DEV_IFINDEX,
//                                        DEV_MTU: the L3 MTU, as the kernel's dev->mtu)
//   struct bpf_prog   { }                the XDP program's table slot, for identity only
//
// Up to TP_PROGS programs per tracepoint, as the fast path keeps them.

import { classicTracepointTarget, rawTracepointTarget, TP_RECORD_SIZES, tpBtfTarget, XDP_TRACEPOINTS } from '../elf/index.js';
import { EXPORT_RUN } from '../jit/abi.js';
import { JitProgram } from '../jit/index.js';
import { TP_PROTOS } from '../verifier/tracing.js';
import type { Datapath, Program } from './datapath.js';
import { AttachError } from './sk_programs.js';

/** Programs one tracepoint runs (assembly/tracepoints.ts TP_PROGS). */
export const TP_PROGS = 8;

interface TpExports {
  tp_attach(tp: number, i: number, slot: number, classic: number): void;
}

/** The links of each list: `NAME` (the argument array: tp_btf, raw_tp) or `xdp:NAME` (classic: the record). */
const lists = new WeakMap<Datapath, Map<string, TracepointLink[]>>();

/** The tracepoints wxdp raises or defines with the kernel's arguments (tp_btf programs may attach to them). */
export function tracepointRuns(name: string): boolean {
  return TP_PROTOS[name] !== undefined;
}

/** An attached tracepoint program (a BPF link): detach() takes it out. */
export class TracepointLink {
  private attached = true;
  constructor(
    private readonly dp: Datapath,
    readonly program: Program,
    /** The event: `NAME`, or `xdp:NAME` for a classic tracepoint program (tracefs' category:name). */
    readonly tracepoint: string,
  ) {}

  get isAttached(): boolean {
    return this.attached;
  }

  /** Take the program out; those attached after it keep their order. A second detach is ENOENT. */
  detach(): void {
    const list = lists.get(this.dp)?.get(this.tracepoint) ?? [];
    const i = list.indexOf(this);
    if (!this.attached || i < 0) throw new AttachError('ENOENT', `program ${this.program.name} is not attached to ${this.tracepoint}`);
    list.splice(i, 1);
    this.attached = false;
    publish(this.dp, this.tracepoint, list);
  }
}

/** The tracepoints `program` is attached to on `dp` (what holds it besides its object). */
export function tracepointsOf(dp: Datapath, program: Program): string[] {
  const out: string[] = [];
  for (const [tp, list] of lists.get(dp) ?? []) if (list.some((l) => l.program === program)) out.push(tp);
  return out;
}

/** The fast path's list for `tp` (`NAME` or `xdp:NAME`): the links' run slots packed from the front, 0 after. */
function publish(dp: Datapath, tp: string, list: readonly TracepointLink[]): void {
  const classic = tp.startsWith('xdp:');
  const id = (XDP_TRACEPOINTS as readonly string[]).indexOf(classic ? tp.slice(4) : tp);
  const x = dp.fastPath.exports as unknown as TpExports;
  for (let i = 0; i < TP_PROGS; i++) {
    const p = list[i]?.program.engine;
    x.tp_attach(id, i, p instanceof JitProgram ? p.runTableIndex : 0, classic ? 1 : 0);
  }
}

/** The program types attachTracepoint takes (each still checked by its section's event). */
export function isTracepointProgram(program: Program): boolean {
  const t = program.spec.type;
  return t === 'tracing' || t === 'tracepoint' || t === 'raw_tracepoint';
}

/** The list a program attaches to (`NAME` or `xdp:NAME`), or the kernel's refusal. */
function target(program: Program): string {
  const { type, section } = program.spec;
  const reads = program.verifierStats?.maxCtxOffset ?? 0;
  const btf = type === 'tracing' ? tpBtfTarget(section) : undefined;
  if (btf !== undefined) {
    if (!tracepointRuns(btf)) throw new AttachError('EINVAL', `wxdp does not raise tracepoint ${btf}`);
    return btf;
  }
  const tp = type === 'raw_tracepoint' ? rawTracepointTarget(section) : undefined;
  if (tp !== undefined) {
    const args = TP_PROTOS[tp];
    if (!args) throw new AttachError('ENOENT', `wxdp does not raise tracepoint ${tp}`);
    if (reads > args.length * 8) {
      throw new AttachError('EINVAL', `program ${program.name} reads ctx up to byte ${reads}; ${tp} has ${args.length} arguments (${args.length * 8} bytes)`);
    }
    return tp;
  }
  const classic = type === 'tracepoint' ? classicTracepointTarget(section) : undefined;
  if (classic) {
    const size = classic.category === 'xdp' ? TP_RECORD_SIZES[classic.name] : undefined;
    if (size === undefined) throw new AttachError('ENOENT', `no tracepoint ${classic.category}:${classic.name} (wxdp raises the xdp tracepoints Linux 6.18 has)`);
    if (reads > size) throw new AttachError('EACCES', `program ${program.name} reads ctx up to byte ${reads}; the ${classic.name} record is ${size} bytes`);
    return `xdp:${classic.name}`;
  }
  throw new AttachError('EINVAL', `program ${program.name} (section ${section}) is not a tp_btf, raw_tp or tracepoint program`);
}

/** bpf_program__attach of a SEC("tp_btf/NAME"), SEC("raw_tp/NAME") or SEC("tracepoint/xdp/NAME") program. */
export function attachTracepoint(dp: Datapath, program: Program): TracepointLink {
  const tp = target(program);
  if (!(program.engine instanceof JitProgram)) throw new AttachError('EINVAL', `program ${program.name}: only JIT'd programs can be attached`);
  // Checked code bounds its loads by regions the ctx of an event is not one of: verified programs only.
  if (program.checked) throw new AttachError('EINVAL', `program ${program.name} was loaded unverified (runs checked); tracepoint programs run verified only`);
  // Workers call the same table slot in their own instance's table.
  dp.workers?.install(program, [[EXPORT_RUN, program.engine.runTableIndex]]);
  let byTp = lists.get(dp);
  if (!byTp) lists.set(dp, (byTp = new Map()));
  const list = byTp.get(tp) ?? [];
  if (list.length >= TP_PROGS) throw new AttachError('E2BIG', `at most ${TP_PROGS} programs are attached to ${tp} at once`);
  const link = new TracepointLink(dp, program, tp);
  list.push(link);
  byTp.set(tp, list);
  publish(dp, tp, list);
  return link;
}
