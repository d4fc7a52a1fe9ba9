// Attaching the socket lookup's programs, as the kernel attaches them:
//
//   dp.attachSkLookup(prog)            libbpf's bpf_program__attach_netns(): an sk_lookup program joins
//                                      those of the Datapath (the network namespace), after them; the
//                                      link's detach() takes it out. At most 64 (netns_bpf_max_progs).
//   dp.attachReuseport(sockId, prog)   setsockopt(SO_ATTACH_REUSEPORT_EBPF) on a socket bound with
//                                      SO_REUSEPORT: the program chooses within the socket's group.
//   dp.detachReuseport(sockId)         setsockopt(SO_DETACH_REUSEPORT_BPF).
//
// The programs run from the socket lookup (assembly/net/sk_prog.ts) through the fast path's table.

import { WxdpError } from '../errors.js';
import { JitProgram } from '../jit/index.js';
import type { Datapath, Program } from './datapath.js';

interface SkProgExports {
  sk_lookup_attach(slot: number): number;
  sk_lookup_detach(index: number): number;
  sk_reuseport_attach(id: number, slot: number): number;
  sk_reuseport_detach(id: number): number;
}

const ERRNO: Record<number, string> = { 2: 'ENOENT', 7: 'E2BIG', 9: 'EBADF', 12: 'ENOMEM', 22: 'EINVAL' };

/** An attach the kernel would refuse: `errno` is its name ('EINVAL', 'E2BIG'…). */
export class AttachError extends WxdpError {
  readonly errno: string;
  constructor(errno: string, message: string) {
    super('PROG_ATTACH', `${message} (${errno})`);
    this.errno = errno;
  }
}

function exportsOf(dp: Datapath): SkProgExports {
  // The socket programs' root hangs off the stack's.
  dp.stack;
  return dp.fastPath.exports as unknown as SkProgExports;
}

/** The program's `run` slot, once checked to be a JIT'd program of `type`. */
function runSlot(program: Program, type: 'sk_lookup' | 'sk_reuseport'): number {
  if (program.spec.type !== type) {
    throw new AttachError('EINVAL', `program ${program.name} is a ${program.spec.type} program; this attach takes ${type}`);
  }
  if (!(program.engine instanceof JitProgram)) throw new AttachError('EINVAL', `program ${program.name}: only JIT'd programs can be attached`);
  // Checked code bounds its accesses by an XDP run's regions, which a socket lookup's ctx and sockets are
  // not: its helpers (bpf_sk_assign's ctx, bpf_sk_select_reuseport's map and key) would go unchecked.
  if (program.checked) throw new AttachError('EINVAL', `program ${program.name} was loaded unverified (runs checked); ${type} programs run verified only`);
  return program.engine.runTableIndex;
}

/**
 * A program calling bpf_sk_lookup_udp/tcp or bpf_skc_lookup_tcp is being loaded into `dp`: every socket
 * gets its struct bpf_sock view (the fast path makes views only on the control plane), those that exist
 * and those made later. Throws MAP_NO_MEMORY (ENOMEM) when the memory cannot hold them.
 */
export function socketViewsForAll(dp: Datapath, program: string): void {
  const x = exportsOf(dp) as unknown as { sk_views_for_all?: () => number };
  if (typeof x.sk_views_for_all !== 'function') return; // a build without the socket table: lookups find nothing
  const r = x.sk_views_for_all();
  if (r < 0) throw new WxdpError('MAP_NO_MEMORY', `program ${program}: no memory for the sockets' views its socket lookups hand out (ENOMEM)`);
}

const links = new WeakMap<Datapath, SkLookupLink[]>();

/** An attached sk_lookup program (a BPF link): detach() takes it out of the lookup. */
export class SkLookupLink {
  private attached = true;
  constructor(
    private readonly dp: Datapath,
    readonly program: Program,
  ) {}

  get isAttached(): boolean {
    return this.attached;
  }

  /** Take the program out; those attached after it keep their order. A second detach is ENOENT. */
  detach(): void {
    const list = links.get(this.dp) ?? [];
    const index = list.indexOf(this);
    if (!this.attached || index < 0) throw new AttachError('ENOENT', `sk_lookup program ${this.program.name} is not attached`);
    const r = exportsOf(this.dp).sk_lookup_detach(index);
    if (r < 0) throw new AttachError(ERRNO[-r] ?? `errno ${-r}`, `detaching sk_lookup program ${this.program.name}`);
    list.splice(index, 1);
    this.attached = false;
  }
}

/** Whether `program` is attached to `dp`'s socket lookup (what holds it besides its object). */
export function skLookupAttached(dp: Datapath, program: Program): boolean {
  return (links.get(dp) ?? []).some((l) => l.program === program);
}

export function attachSkLookup(dp: Datapath, program: Program): SkLookupLink {
  const slot = runSlot(program, 'sk_lookup');
  const r = exportsOf(dp).sk_lookup_attach(slot);
  if (r < 0) {
    const why = r === -7 ? 'at most 64 sk_lookup programs are attached at once' : 'no memory for the socket programs';
    throw new AttachError(ERRNO[-r] ?? `errno ${-r}`, `attaching sk_lookup program ${program.name}: ${why}`);
  }
  const link = new SkLookupLink(dp, program);
  let list = links.get(dp);
  if (!list) links.set(dp, (list = []));
  list.push(link);
  return link;
}

/** The sk_lookup programs attached, in the order they run. */
export function skLookupLinks(dp: Datapath): readonly SkLookupLink[] {
  return links.get(dp) ?? [];
}

export function attachReuseport(dp: Datapath, socketId: number, program: Program): void {
  if (!Number.isInteger(socketId) || socketId < 1 || socketId > 0xffffffff) throw new AttachError('EBADF', `${socketId} is not a socket id`);
  const slot = runSlot(program, 'sk_reuseport');
  const r = exportsOf(dp).sk_reuseport_attach(socketId, slot);
  if (r === 0) return;
  const why =
    r === -9 ? `no socket ${socketId}` : r === -22 ? `socket ${socketId} is not in a reuseport group (bind it with SO_REUSEPORT first)` : 'no memory for the socket programs';
  throw new AttachError(ERRNO[-r] ?? `errno ${-r}`, `SO_ATTACH_REUSEPORT_EBPF: ${why}`);
}

export function detachReuseport(dp: Datapath, socketId: number): void {
  if (!Number.isInteger(socketId) || socketId < 1 || socketId > 0xffffffff) throw new AttachError('EBADF', `${socketId} is not a socket id`);
  const r = exportsOf(dp).sk_reuseport_detach(socketId);
  if (r === 0) return;
  const why = r === -9 ? `no socket ${socketId}` : r === -22 ? `socket ${socketId} is not in a reuseport group` : `socket ${socketId}'s group has no program`;
  throw new AttachError(ERRNO[-r] ?? `errno ${-r}`, `SO_DETACH_REUSEPORT_BPF: ${why}`);
}
