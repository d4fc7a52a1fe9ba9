// The SYN cookie secret of the helpers bpf_tcp_raw_gen/check_syncookie_ipv4/ipv6 (assembly/net/syncookies.ts).
// The kernel draws syncookie_secret[2] and syncookie6_secret[2] (siphash keys) once per boot, so no one
// outside can predict a cookie; wxdp draws them when a Datapath is made, and a test that derives cookies by
// hand sets them: 64 bytes, { IPv4 key 0, IPv4 key 1, IPv6 key 0, IPv6 key 1 }, each key's two u64 words
// little-endian (siphash_key_t { u64 key[2] } as the kernel keeps it in memory).

import { randomBytes } from 'node:crypto';
import { WxdpError } from '../errors.js';
import type { FastPath } from '../runtime/fastpath.js';
import type { EngineMemory } from '../runtime/memory.js';

/** The secret's size: four siphash keys of 16 bytes. */
export const SYNCOOKIE_SECRET_SIZE = 64;

/** Write `secret` (SYNCOOKIE_SECRET_SIZE bytes; default: random) where the fast path keeps it. */
export function setSyncookieSecret(fp: FastPath, memory: EngineMemory, secret: Uint8Array = randomBytes(SYNCOOKIE_SECRET_SIZE)): void {
  if (!(secret instanceof Uint8Array) || secret.length !== SYNCOOKIE_SECRET_SIZE) {
    throw new WxdpError('USAGE', `setSyncookieSecret: the secret is ${SYNCOOKIE_SECRET_SIZE} bytes (IPv4 keys 0 and 1, IPv6 keys 0 and 1), not ${secret instanceof Uint8Array ? secret.length : typeof secret}`);
  }
  const at = fp.fn<() => number>('syncookie_secret_addr')();
  new Uint8Array(memory.memory.buffer, at, SYNCOOKIE_SECRET_SIZE).set(secret);
}
