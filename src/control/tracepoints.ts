// tp_btf programs on wxdp's XDP tracepoints (assembly/tracepoints.ts raises them from the fast path).
//
//   prog.attachTracepoint()   libbpf's bpf_program__attach for SEC("tp_btf/NAME"): the program runs on
//                             every NAME event from then on, after those attached before it; the link's
//                             detach() takes it out. Loading an object attaches nothing, as
//                             bpf_object__load does not (the skeleton's __attach is this, per program).
//
// The programs get the kernel's argument layout (src/verifier/tracing.ts); wxdp's BTF for the structs
// they point at is one field deep:
//
//   struct net_device { int ifindex; }   at offset 0 of the wxdp device record (assembly/abi.ts DEV_IFINDEX)
//   struct bpf_prog   { }                the XDP program's table slot, for identity only
//
// Up to TP_PROGS programs per tracepoint, as the fast path keeps them.

import { XDP_TRACEPOINTS } from '../elf/index.js';
import { EXPORT_RUN } from '../jit/abi.js';
import { JitProgram } from '../jit/index.js';
import { TP_PROTOS } from '../verifier/tracing.js';
import type { Datapath, Program } from './datapath.js';
import { AttachError } from './sk_programs.js';

/** Programs one tracepoint runs (assembly/tracepoints.ts TP_PROGS). */
export const TP_PROGS = 8;

interface TpExports {
  tp_attach(tp: number, i: number, slot: number): void;
}

const lists = new WeakMap<Datapath, Map<string, TracepointLink[]>>();

/** The tracepoints wxdp raises or defines with the kernel's arguments (tp_btf programs may attach to them). */
export function tracepointRuns(name: string): boolean {
  return TP_PROTOS[name] !== undefined;
}

/** An attached tp_btf program (a BPF link): detach() takes it out. */
export class TracepointLink {
  private attached = true;
  constructor(
    private readonly dp: Datapath,
    readonly program: Program,
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

/** The fast path's list for `tp`: the links' run slots packed from the front, 0 after. */
function publish(dp: Datapath, tp: string, list: readonly TracepointLink[]): void {
  const id = (XDP_TRACEPOINTS as readonly string[]).indexOf(tp);
  const x = dp.fastPath.exports as unknown as TpExports;
  for (let i = 0; i < TP_PROGS; i++) {
    const p = list[i]?.program.engine;
    x.tp_attach(id, i, p instanceof JitProgram ? p.runTableIndex : 0);
  }
}

/** bpf_program__attach of a SEC("tp_btf/NAME") program: NAME is its section's. */
export function attachTracepoint(dp: Datapath, program: Program): TracepointLink {
  const m = /^tp_btf\/(.+)$/.exec(program.spec.section);
  if (program.spec.type !== 'tracing' || !m) {
    throw new AttachError('EINVAL', `program ${program.name} (section ${program.spec.section}) is not a tp_btf program`);
  }
  const tp = m[1]!;
  if (!tracepointRuns(tp)) throw new AttachError('EINVAL', `wxdp does not raise tracepoint ${tp}`);
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
