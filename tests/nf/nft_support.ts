// Helpers for the nft tests: a TCP segment builder (RFC 9293 header, RFC 793 pseudo-header checksum) and
// a way to run one base chain of a Datapath's ruleset over a packet as netfilter's hook would (the hook
// state netfilter.ts fills: NFS_* in assembly/net/nft_eval.ts), reading back the verdict and the mark.

import { afterAll, beforeAll, expect } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Datapath } from '../../src/index.js';
import { NftError } from '../../src/control/nft.js';
import { useNamespaces, type NamespaceFixture, type Netns } from '../support/netns.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { concat, inetChecksum } from '../support/frames.js';
import type { NftFamily } from '../../src/control/nft_parse.js';

const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
const u32 = (v: number): Uint8Array => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

export const TH = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** A TCP segment (20-byte header) with its checksum over the IPv4 or IPv6 pseudo-header. */
export function tcp(src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number, payload = new Uint8Array(0)): Uint8Array {
  const d = concat(u16(sport), u16(dport), u32(seq), u32(ack), Uint8Array.of(5 << 4, flags), u16(64240), u16(0), u16(0), payload);
  const v6 = src.includes(':');
  const ph = v6
    ? concat(ipv6Bytes(src), ipv6Bytes(dst), u32(d.length), Uint8Array.of(0, 0, 0, 6))
    : concat(ipv4Bytes(src), ipv4Bytes(dst), Uint8Array.of(0, 6), u16(d.length));
  d.set(u16(inetChecksum(ph, d)), 16);
  return d;
}

interface Exports {
  rc_alloc(n: number): number;
  nft_state(): number;
  nft_do_chain(st: number, chain: number): number;
}

export interface HookIn {
  hook?: number;
  iif?: number;
  oif?: number;
  mark?: number;
  /** IP_CT_*: 0 ESTABLISHED, 1 RELATED, 2 NEW, 3 ESTABLISHED_REPLY, 7 UNTRACKED; 0xff with ct 0: invalid */
  ctinfo?: number;
  ct?: number;
  /** The 14 bytes of Ethernet header before the packet (zeros when not given). */
  mac?: Uint8Array;
}

/** Runs base chains over L3 packets (IPv4 or IPv6 headers first), as nft_do_chain is called by netfilter. */
export class ChainRunner {
  private buf = 0;
  constructor(readonly dp: Datapath) {}

  private get x(): Exports {
    return this.dp.stack.exports<Exports>();
  }

  run(family: NftFamily, table: string, chain: string, pkt: Uint8Array, h: HookIn = {}): { verdict: number; mark: number } {
    const x = this.x;
    if (this.buf === 0) this.buf = x.rc_alloc(4096) >>> 0;
    const slot = this.dp.nftables.chainSlot(family, table, chain);
    if (slot === undefined) throw new Error(`no base chain ${family} ${table} ${chain}`);
    const st = x.nft_state() >>> 0;
    const v = this.dp.memory.view();
    // the Ethernet header in the 14 bytes before L3, as every received frame has it (eth.ts)
    const l3 = this.buf + 14;
    new Uint8Array(v.buffer, v.byteOffset + this.buf, 14).set(h.mac ?? new Uint8Array(14));
    new Uint8Array(v.buffer, v.byteOffset + l3, pkt.length).set(pkt);
    const v6 = pkt[0]! >> 4 === 6;
    const ihl = (pkt[0]! & 0xf) * 4;
    const fragOff = v6 ? 0 : ((pkt[6]! << 8) | pkt[7]!) & 0x1fff;
    const l4proto = v6 ? pkt[6]! : pkt[9]!;
    v.setUint8(st, h.hook ?? 2);
    v.setUint8(st + 1, v6 ? 10 : 2);
    v.setUint8(st + 2, l4proto);
    v.setUint8(st + 3, h.ctinfo ?? (h.ct ? 0 : 0xff));
    v.setUint32(st + 4, h.iif ?? 0, true);
    v.setUint32(st + 8, h.oif ?? 0, true);
    v.setUint32(st + 12, l3, true);
    v.setUint32(st + 16, pkt.length, true);
    v.setUint32(st + 20, h.ct ?? 0, true);
    v.setUint32(st + 24, fragOff !== 0 ? 0 : v6 ? 40 : ihl, true);
    v.setUint32(st + 28, h.mark ?? 0, true);
    v.setUint32(st + 48, 0, true); // NFS_ZONE: no zone's template
    const verdict = x.nft_do_chain(st, slot);
    return { verdict, mark: this.dp.memory.view().getUint32(st + 28, true) };
  }
}

export async function nftDatapath(devices: string[] = []): Promise<Datapath> {
  const dp = await Datapath.create();
  devices.forEach((name, i) => dp.addDevice({ name, mac: `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}` }));
  return dp;
}

/**
 * Whether a test against nft can run (the fast path built, nft installed, namespaces available: `nsa`, named with
 * `prefix`), and the reason it skips when not (useNamespaces names its own). Call at a test module's top level.
 */
export function nftAgainst(prefix: string): { nsa: NamespaceFixture; skip: boolean; why: string } {
  const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));
  const nftMissing = spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) is not installed' : '';
  const nsa = useNamespaces(prefix);
  return { nsa, skip: !built || !nsa.available.ok || nftMissing !== '', why: !built ? 'build/fastpath.wasm is not built' : nftMissing };
}

/**
 * What a test against nft needs, made before its describe's tests and removed after: a namespace of `nsa`'s for
 * nft, a Datapath with eth0, a scratch directory for files.
 */
export function nftSession(nsa: NamespaceFixture, owner: string): { ns: Netns; dp: Datapath; dir: string } {
  const s = {} as { ns: Netns; dp: Datapath; dir: string };
  beforeAll(async () => {
    s.ns = nsa.set.create();
    s.dp = await nftDatapath(['eth0']);
    s.dir = mkdtempSync(join(tmpdir(), `wx-${owner}-`));
  });
  afterAll(() => rmSync(s.dir, { recursive: true, force: true }));
  return s;
}

/**
 * nft in the namespace: stdout, or the first error it printed (nft reports each; we stop at the first), with the
 * includes that led to it (`In file included from …` lines); `cwd`: where nft runs (its `./` includes are from there).
 */
export function nftIn(ns: Netns, args: string[], input?: string, cwd?: string): { ok: boolean; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'nft', ...args], { encoding: 'utf8', input, cwd });
  if (r.status === 0) return { ok: true, out: r.stdout };
  const lines = r.stderr.split('\n');
  const head = lines.findIndex((l) => !l.startsWith('In file included from') && !l.startsWith('                 from'));
  return { ok: false, out: lines.slice(0, head + 3).join('\n') };
}

/**
 * `file` loaded by nft in `ns` and by `dp`: both take it, and list the ruleset alike, plain and with
 * handles (`-a`). Returns nft's plain listing.
 */
export function loadListedAsNft(ns: Netns, dp: Datapath, file: string, norm: (text: string) => string = (x) => x): string {
  expect(nftIn(ns, ['-f', file])).toEqual({ ok: true, out: '' });
  dp.nftFile(file);
  const k = nftIn(ns, ['list', 'ruleset']).out;
  expect(norm(dp.nft('list ruleset'))).toBe(norm(k));
  expect(norm(dp.nftables.list(undefined, true))).toBe(norm(nftIn(ns, ['-a', 'list', 'ruleset']).out));
  return k;
}

/**
 * What is left of an element's timeout (`expires 29s984ms`) follows the kernel's clock, which runs while nft lists:
 * the listings compare with it written as `expires …`.
 */
export const noExpiry = (text: string): string => text.replace(/ expires [0-9dhms]+/g, ' expires …');

/** `file` refused by nft in `ns` and by `dp` with the same first error (`label` names the case). */
export function expectRefusedAsNft(ns: Netns, dp: Datapath, file: string, label: string): void {
  const k = nftIn(ns, ['-f', file]);
  expect(k.ok, label).toBe(false);
  expect(nftOurs(() => dp.nftFile(file)), label).toEqual(k);
}

/** `text` as a file of the session's, refused by `dp` as nft refuses it, then the ruleset listed alike (nothing applied). */
export function expectTextRefusedAsNft(s: { ns: Netns; dp: Datapath; dir: string }, text: string, label: string): void {
  const file = join(s.dir, 'refused.nft');
  writeFileSync(file, text);
  expectRefusedAsNft(s.ns, s.dp, file, label);
  expectSequenceAsNft(s.ns, s.dp, ['list ruleset']);
}

/**
 * Each command run by nft in `ns` and by `dp`, in order (`-a …`: with handles): the same output, or the same first
 * error.
 */
export function expectSequenceAsNft(ns: Netns, dp: Datapath, cmds: readonly string[], norm: (text: string) => string = (x) => x): void {
  for (const cmd of cmds) {
    const a = cmd.startsWith('-a ');
    const text = a ? cmd.slice(3) : cmd;
    const k = nftIn(ns, a ? ['-a', text] : [text]);
    const ours = nftOurs(() => dp.nftables.run(text, undefined, a));
    expect({ ...ours, out: norm(ours.out) }, cmd).toEqual({ ...k, out: norm(k.out) });
  }
}

/** Ours in the same shape: the output, or the NftError's message. */
export function nftOurs(f: () => string): { ok: boolean; out: string } {
  try {
    return { ok: true, out: f() };
  } catch (e) {
    if (e instanceof NftError) return { ok: false, out: e.message };
    throw e;
  }
}

/** How many frames of each run went through (one frame out for one in), for runs of `n` frames in order. */
export function passedPerRun(out: string[][], runs: ReadonlyArray<readonly [number, number, number, number]>): number[] {
  let at = 0;
  return runs.map(([, , n]) => {
    const c = out.slice(at, at + n).filter((x) => x.length === 1).length;
    at += n;
    return c;
  });
}
