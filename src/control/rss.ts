// Receive-side scaling from the control plane: a device's Toeplitz key, indirection table and hashed
// fields (what `ethtool -X DEV hkey … equal N` and `ethtool -N DEV rx-flow-hash udp4 sdfn` set), and
// the hash itself for checks. assembly/rss.ts draws the device's RSS block and computes the hash per
// frame; frames injected without a queue then land on the queue it picks.

import { WxdpError } from '../errors.js';
import type { FastPath } from '../runtime/fastpath.js';
import type { EngineMemory } from '../runtime/memory.js';

/** The block's layout (assembly/rss.ts). */
export const RSS = {
  DEV_RSS: 60,
  KEY_SIZE: 40,
  FLAGS: 40,
  INDIR_SIZE: 44,
  INDIR: 64,
  INDIR_MAX: 512,
  BLOCK_SIZE: 64 + 512 * 4,
  F_UDP4: 1,
  F_UDP6: 2,
  /** Frame head: the hash at hard_start + RX_HASH, its type word at hard_start + RX_HASH_TYPE. */
  RX_HASH: 32,
  RX_HASH_TYPE: 36,
  RX_HASH_VALID: 0x80000000,
} as const;

/**
 * The key Microsoft's RSS specification verifies with, and the one most drivers (ixgbe, i40e, the
 * ethtool default of many) use unless told otherwise.
 */
export const RSS_DEFAULT_KEY = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
  0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);

/** Linux's default indirection table size (ETH_RXFH_INDIR_NO_CHANGE aside, most NICs: 128 entries). */
export const RSS_DEFAULT_ENTRIES = 128;

export interface RssOptions {
  /** The 40-byte Toeplitz key (default RSS_DEFAULT_KEY). */
  key?: Uint8Array;
  /**
   * The indirection table: the queue of each entry, a power-of-two count up to 512 (default: 128
   * entries spread round-robin over the device's queues, ethtool_rxfh_indir_default).
   */
  indirection?: readonly number[];
  /** Hash UDP's ports too (the 4-tuple; default true, as mlx5 and ice do): false hashes UDP's 2-tuple. */
  udpPorts?: boolean;
}

/** What a device's RSS is set to. */
export interface RssConfig {
  key: Uint8Array;
  indirection: number[];
  udpPorts: boolean;
}

interface RssExports {
  arena_alloc(size: number, align: number): number;
  rss_toeplitz(key: number, input: number, len: number): number;
}

/**
 * Set device `dev`'s RSS (address `devAddr`, `queues` queues). The first call allocates the block and
 * publishes it last (one aligned store), so a receiver sees no half-made table; later calls rewrite it
 * in place entry by entry, as a NIC's table is rewritten while it receives.
 */
export function rssConfigure(fp: FastPath, name: string, devAddr: number, queues: number, opts: RssOptions): RssConfig {
  const key = opts.key ?? RSS_DEFAULT_KEY;
  if (!(key instanceof Uint8Array) || key.length !== RSS.KEY_SIZE) throw new WxdpError('USAGE', `device ${name}: the RSS key must be ${RSS.KEY_SIZE} bytes, not ${key?.length}`);
  const indir = opts.indirection ? [...opts.indirection] : Array.from({ length: RSS_DEFAULT_ENTRIES }, (_, i) => i % queues);
  const n = indir.length;
  if (n < 1 || n > RSS.INDIR_MAX || (n & (n - 1)) !== 0) throw new WxdpError('USAGE', `device ${name}: the RSS indirection table must have a power-of-two count of entries up to ${RSS.INDIR_MAX}, not ${n}`);
  indir.forEach((q, i) => {
    if (!Number.isInteger(q) || q < 0 || q >= queues) throw new WxdpError('USAGE', `device ${name}: RSS indirection entry ${i} is queue ${q}; the device has queues 0..${queues - 1}`);
  });
  const udp = opts.udpPorts ?? true;
  const mem = fp.memory;
  let block = mem.view().getUint32(devAddr + RSS.DEV_RSS, true);
  const fresh = block === 0;
  if (fresh) {
    block = (fp.exports as unknown as RssExports).arena_alloc(RSS.BLOCK_SIZE, 64) >>> 0;
    if (block === 0) throw new WxdpError('USAGE', `device ${name}: no memory for RSS (ENOMEM: ${mem.limitReached()})`);
  }
  mem.bytes().set(key, block);
  const v = mem.view();
  v.setUint32(block + RSS.FLAGS, udp ? RSS.F_UDP4 | RSS.F_UDP6 : 0, true);
  // a shrinking table: the count first, so no entry past it is read
  if (!fresh && n < v.getUint32(block + RSS.INDIR_SIZE, true)) v.setUint32(block + RSS.INDIR_SIZE, n, true);
  indir.forEach((q, i) => v.setUint32(block + RSS.INDIR + 4 * i, q, true));
  v.setUint32(block + RSS.INDIR_SIZE, n, true);
  if (fresh) Atomics.store(new Uint32Array(mem.memory.buffer), (devAddr + RSS.DEV_RSS) >>> 2, block);
  return { key: Uint8Array.from(key), indirection: indir, udpPorts: udp };
}

/** A device's RSS as set (undefined: none). */
export function rssRead(mem: EngineMemory, devAddr: number): RssConfig | undefined {
  const v = mem.view();
  const block = v.getUint32(devAddr + RSS.DEV_RSS, true);
  if (block === 0) return undefined;
  const n = v.getUint32(block + RSS.INDIR_SIZE, true);
  return {
    key: mem.bytes().slice(block, block + RSS.KEY_SIZE),
    indirection: Array.from({ length: n }, (_, i) => v.getUint32(block + RSS.INDIR + 4 * i, true)),
    udpPorts: (v.getUint32(block + RSS.FLAGS, true) & RSS.F_UDP4) !== 0,
  };
}

/**
 * The Toeplitz hash of `input` under `key` (40 bytes), computed by the fast path: the function every
 * frame's queue choice uses, exposed for checks against the specification's vectors.
 */
export function toeplitzHash(fp: FastPath, key: Uint8Array, input: Uint8Array, scratch: number): number {
  if (key.length !== RSS.KEY_SIZE) throw new WxdpError('USAGE', `the Toeplitz key must be ${RSS.KEY_SIZE} bytes, not ${key.length}`);
  if (input.length > RSS.KEY_SIZE - 4) throw new WxdpError('USAGE', `the Toeplitz input must be at most ${RSS.KEY_SIZE - 4} bytes (the key's length less 32 bits), not ${input.length}`);
  const b = fp.memory.bytes();
  b.set(key, scratch);
  b.set(input, scratch + RSS.KEY_SIZE);
  return (fp.exports as unknown as RssExports).rss_toeplitz(scratch, scratch + RSS.KEY_SIZE, input.length) >>> 0;
}
