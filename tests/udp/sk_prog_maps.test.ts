// Socket maps from user space: SOCKMAP, SOCKHASH and REUSEPORT_SOCKARRAY created, updated with sockets
// (the kernel takes a file descriptor, wxdp a socket id), looked up (the socket's cookie), deleted, with
// every refusal's errno. The expected answers are the Linux kernel's for the same steps on the same
// kinds of sockets (sk_prog_maps_kernel.py in a namespace); without the kernel, the recorded answers
// below (Linux 6.18) stand in. A closed socket leaves every map (sock_map_close).

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createMap, type BpfMap } from '../../src/maps/index.js';
import { MapError } from '../../src/maps/errors.js';
import { errnoName } from '../../src/maps/uapi.js';
import { stackUnready } from '../net/support.js';
import { useNamespaces } from '../support/netns.js';
import { SkEnv, u32le, u64le } from './sk_prog_support.js';

const SCRIPT = new URL('./sk_prog_maps_kernel.py', import.meta.url).pathname;
const SOCKMAP = 15;
const SOCKHASH = 18;
const REUSEPORT_SOCKARRAY = 20;

type Op =
  | ['create', string, number, number, number, number, number]
  | ['update', string, number | number[], number | { raw: number }, number]
  | ['delete', string, number | number[]]
  | ['lookup', string, number | number[]];

interface SockSpec {
  proto?: 'udp' | 'udplite';
  addr?: string;
  port: number | null;
  reuseport?: boolean;
}

const SOCKETS: SockSpec[] = [
  { port: 7007, addr: '192.0.2.1' }, // 0: bound UDP
  { port: null }, // 1: unbound UDP
  { port: 5000, proto: 'udplite' }, // 2: UDP-Lite
  { port: 9000, reuseport: true }, // 3: reuseport group member
  { port: 9000, reuseport: true }, // 4: the same group
  { port: null, reuseport: true }, // 5: SO_REUSEPORT, not bound
  { port: 9100, proto: 'udplite', reuseport: true }, // 6: UDP-Lite reuseport member
  { port: 7008, addr: '192.0.2.1' }, // 7: bound UDP
];

const OPS: Op[] = [
  // BPF_MAP_CREATE checks
  ['create', 'sm_k8', SOCKMAP, 8, 8, 4, 0],
  ['create', 'sm_v2', SOCKMAP, 4, 2, 4, 0],
  ['create', 'sm_n0', SOCKMAP, 4, 8, 0, 0],
  ['create', 'sm_flags', SOCKMAP, 4, 8, 4, 1 /* BPF_F_NO_PREALLOC */],
  ['create', 'sh_k0', SOCKHASH, 0, 8, 4, 0],
  ['create', 'sh_k513', SOCKHASH, 513, 8, 4, 0],
  ['create', 'ra_v3', REUSEPORT_SOCKARRAY, 4, 3, 4, 0],
  ['create', 'ra_k8', REUSEPORT_SOCKARRAY, 8, 8, 4, 0],
  // sockmap, value_size 8
  ['create', 'sm', SOCKMAP, 4, 8, 4, 0],
  ['update', 'sm', 0, 0, 0],
  ['lookup', 'sm', 0],
  ['lookup', 'sm', 1],
  ['update', 'sm', 0, 1, 0],
  ['update', 'sm', 0, 7, 1 /* BPF_NOEXIST */],
  ['update', 'sm', 1, 7, 2 /* BPF_EXIST */],
  ['update', 'sm', 1, 7, 0],
  ['lookup', 'sm', 1],
  ['update', 'sm', 4, 0, 0],
  ['update', 'sm', 2, 0, 3],
  ['update', 'sm', 2, 2, 0],
  ['update', 'sm', 2, { raw: 999 }, 0],
  ['update', 'sm', 2, { raw: 2 ** 33 }, 0],
  ['delete', 'sm', 3],
  ['delete', 'sm', 7],
  ['delete', 'sm', 1],
  ['lookup', 'sm', 1],
  // sockmap, value_size 4: no lookup from user space
  ['create', 'sm4', SOCKMAP, 4, 4, 2, 0],
  ['update', 'sm4', 0, 0, 0],
  ['lookup', 'sm4', 0],
  // sockhash
  ['create', 'sh', SOCKHASH, 6, 8, 2, 0],
  ['update', 'sh', [1, 2, 3, 4, 5, 6], 0, 0],
  ['update', 'sh', [8, 8, 8, 8, 8, 8], 1, 0],
  ['update', 'sh', [9, 9, 9, 9, 9, 9], 7, 0],
  ['update', 'sh', [7, 7, 7, 7, 7, 7], 3, 0],
  ['update', 'sh', [1, 2, 3, 4, 5, 6], 3, 1],
  ['lookup', 'sh', [9, 9, 9, 9, 9, 9]],
  ['delete', 'sh', [7, 7, 7, 7, 7, 7]],
  ['delete', 'sh', [9, 9, 9, 9, 9, 9]],
  ['lookup', 'sh', [9, 9, 9, 9, 9, 9]],
  // reuseport array
  ['create', 'ra', REUSEPORT_SOCKARRAY, 4, 8, 2, 0],
  ['update', 'ra', 0, 0, 0],
  ['update', 'ra', 0, 5, 0],
  ['update', 'ra', 0, 3, 0],
  ['update', 'ra', 1, 3, 0],
  ['update', 'ra', 0, 4, 1],
  ['update', 'ra', 1, 4, 2],
  ['update', 'ra', 2, 4, 0],
  ['update', 'ra', 1, 4, 0],
  ['lookup', 'ra', 1],
  ['update', 'ra', 1, 6, 0],
  ['delete', 'ra', 5],
  ['delete', 'ra', 1],
  ['delete', 'ra', 1],
  ['lookup', 'ra', 1],
];

/** Linux 6.18's answers to OPS (from sk_prog_maps_kernel.py), for runs without the kernel. */
const RECORDED: string[] = [
  'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'E2BIG', 'EINVAL', 'EINVAL', 'ok', 'ok', 'cookie:0', 'ENOENT',
  'EOPNOTSUPP', 'EEXIST', 'ENOENT', 'ok', 'cookie:7', 'E2BIG', 'EINVAL', 'EOPNOTSUPP', 'EBADF', 'EINVAL', 'EINVAL',
  'EINVAL', 'ok', 'ENOENT', 'ok', 'ok', 'ENOSPC', 'ok', 'ok', 'EOPNOTSUPP', 'ok', 'E2BIG', 'EEXIST', 'cookie:7',
  'ENOENT', 'ok', 'ENOENT', 'ok', 'EINVAL', 'EINVAL', 'ok', 'EBUSY', 'EEXIST', 'ENOENT', 'E2BIG', 'ok', 'cookie:4',
  'ENOTSUPP', 'E2BIG', 'ok', 'ENOENT', 'ENOENT',
];

const nsa = useNamespaces('skmaps');
const unready = await stackUnready();

function kernel(ns: string): string[] {
  const out = execFileSync('ip', ['netns', 'exec', ns, 'python3', SCRIPT], { input: JSON.stringify({ sockets: SOCKETS, ops: OPS }), encoding: 'utf8', timeout: 30_000 });
  return (JSON.parse(out) as { results: string[] }).results;
}

async function wxdp(): Promise<string[]> {
  const env = await SkEnv.create();
  const ids = SOCKETS.map((s) => {
    const id = env.t.create({ family: 'inet', protocol: s.proto, reusePort: s.reuseport });
    if (s.port !== null) env.t.bind(id, s.addr, s.port);
    return id;
  });
  const cookies = ids.map((id) => env.t.stats(id).cookie);
  const maps = new Map<string, BpfMap>();
  const key = (m: BpfMap, k: number | number[]): Uint8Array => {
    const b = new Uint8Array(m.keySize);
    b.set(Array.isArray(k) ? k : u32le(k));
    return b;
  };
  const attempt = (f: () => string): string => {
    try {
      return f();
    } catch (e) {
      if (e instanceof MapError) return errnoName(e.errno);
      throw e;
    }
  };
  return OPS.map((op) =>
    attempt(() => {
      if (op[0] === 'create') {
        const [, name, type, keySize, valueSize, maxEntries, flags] = op;
        maps.set(name, createMap(env.dp.fastPath, { name, type, keySize, valueSize, maxEntries, flags }));
        return 'ok';
      }
      const m = maps.get(op[1])!;
      if (op[0] === 'update') {
        const v = op[3];
        const raw = typeof v === 'number' ? ids[v]! : v.raw;
        m.update(key(m, op[2]), u64le(raw).subarray(0, m.valueSize), op[4]);
        return 'ok';
      }
      if (op[0] === 'delete') {
        m.delete(key(m, op[2]));
        return 'ok';
      }
      const c = m.lookup(key(m, op[2]));
      if (!c) return 'ENOENT';
      const i = cookies.indexOf(new DataView(c.buffer, c.byteOffset).getBigUint64(0, true));
      return i < 0 ? 'cookie:?' : `cookie:${i}`;
    }),
  );
}

describe.skipIf(unready !== '')('socket maps from user space', () => {
  it.skipIf(!nsa.available.ok)('answer every step as the kernel does (Linux in a namespace)', async () => {
    const ns = nsa.set.create({ lo: true });
    ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'lo');
    const k = kernel(ns.name);
    const w = await wxdp();
    expect(OPS.map((op, i) => `${op.join(' ')} -> ${w[i]}`)).toEqual(OPS.map((op, i) => `${op.join(' ')} -> ${k[i]}`));
  });

  it('answer every step as Linux 6.18 did (recorded)', async () => {
    expect(await wxdp()).toEqual(RECORDED);
  });

  it('a closed socket leaves the maps; its id given again is not in them', async () => {
    const env = await SkEnv.create();
    const a = env.t.create({ family: 'inet' });
    env.t.bind(a, '192.0.2.1', 7007);
    const sm = createMap(env.dp.fastPath, { name: 'sm', type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 2 });
    const sh = createMap(env.dp.fastPath, { name: 'sh', type: SOCKHASH, keySize: 4, valueSize: 8, maxEntries: 2 });
    sm.update(u32le(0), u64le(a));
    sh.update(u32le(5), u64le(a));
    env.t.close(a);
    const b = env.t.create({ family: 'inet' });
    env.t.bind(b, '192.0.2.1', 7008);
    expect(b).toBe(a);
    expect(sm.lookup(u32le(0))).toBeUndefined();
    expect(sh.lookup(u32le(5))).toBeUndefined();
  });
});
