// What wxdp's sockets have beyond node:dgram: datagrams taken in batches (receiveBatch, the async
// iterator, batches()) without one event each; the receive queue's SO_RCVBUF bound seen from the API;
// errors node's loopback cannot show (an unroutable destination; multicast is tests/udp/dgram_mcast.test.ts); and
// node's keep-alive rule (a bound, ref'd socket keeps the process up; unref'd or unbound, it does not)
// checked in child processes beside node:dgram doing the same.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Datapath } from '../../src/control/datapath.js';
import { MessageBatch, Udp, type UdpSocket } from '../../src/control/udp.js';
import type { Wire } from '../../src/control/wire.js';
import { closeOpened, settlePair, wiredPair } from './support.js';

let a: Datapath;
let b: Datapath;
let wire: Wire;
const open: UdpSocket[] = [];

const settle = (): void => settlePair(a, b);

beforeEach(async () => {
  ({ a, b, wire } = await wiredPair());
});

afterEach(() => {
  closeOpened(open);
  wire.close();
});

async function pair(): Promise<{ r: UdpSocket; s: UdpSocket; port: number }> {
  const r = b.udp.createSocket('udp4');
  const s = a.udp.createSocket('udp4');
  open.push(r, s);
  r.bind(0, '192.0.2.2');
  s.bind(0, '192.0.2.1');
  await Promise.all([once(r, 'listening'), once(s, 'listening')]);
  return { r, s, port: r.address().port };
}

/** Send each payload and wait for every callback (the frames are then on a ring or delivered). */
async function sendAll(s: UdpSocket, port: number, payloads: string[]): Promise<void> {
  await Promise.all(payloads.map((p) => new Promise<void>((resolve, reject) => s.send(p, port, '192.0.2.2', (e) => (e ? reject(e) : resolve())))));
}

describe('receiveBatch', () => {
  it('takes what waits on the queue, oldest first, up to max, each with its rinfo; then nothing', async () => {
    const { r, s, port } = await pair();
    const payloads = Array.from({ length: 10 }, (_, i) => `d${i}`);
    await sendAll(s, port, payloads);
    settle();
    const first = r.receiveBatch(4);
    expect(first.map((d) => d.msg.toString())).toEqual(payloads.slice(0, 4));
    expect(first[0]!.rinfo).toEqual({ address: '192.0.2.1', family: 'IPv4', port: s.address().port, size: 2 });
    expect(r.receiveBatch(100).map((d) => d.msg.toString())).toEqual(payloads.slice(4));
    expect(r.receiveBatch()).toEqual([]);
    // counted as read, as udp_recvmsg counts them
    expect(b.stack.mib()['Udp:InDatagrams']).toBe(10);
  });

  it('an unbound socket has nothing; a closed one throws ERR_SOCKET_DGRAM_NOT_RUNNING; max is a uint32', async () => {
    const u = b.udp.createSocket('udp4');
    expect(u.receiveBatch()).toEqual([]);
    expect(() => u.receiveBatch(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => u.receiveBatch('2' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    u.close();
    expect(() => u.receiveBatch()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
  });

  it('a full receive queue drops at the socket (Udp:RcvbufErrors), what was queued stays readable', async () => {
    const { r, s, port } = await pair();
    r.setRecvBufferSize(1); // SOCK_MIN_RCVBUF, 2304 bytes
    const payloads = Array.from({ length: 8 }, (_, i) => `x${i}`.padEnd(100, '.'));
    await sendAll(s, port, payloads);
    settle();
    const got = r.receiveBatch(100);
    const mib = b.stack.mib();
    expect(got.length).toBeGreaterThan(0);
    expect(mib['Udp:RcvbufErrors']).toBe(payloads.length - got.length);
    expect(got.map((d) => d.msg.toString())).toEqual(payloads.slice(0, got.length));
  });
});

describe('received Buffers', () => {
  it('keep their bytes while later batches are received (copies share a slab, never a region twice)', async () => {
    const { r, s, port } = await pair();
    r.setRecvBufferSize(1 << 20);
    // 40 rounds of 32 datagrams of 100 bytes (104 apart): 3328 bytes a batch, 20 batches fill a 64 KiB slab
    const kept: Buffer[] = [];
    const want: string[] = [];
    for (let round = 0; round < 40; round++) {
      const payloads = Array.from({ length: 32 }, (_, i) => `${round}.${i}:`.padEnd(100, String.fromCharCode(97 + (round % 26))));
      await sendAll(s, port, payloads);
      settle();
      const got = r.receiveBatch(64);
      expect(got.map((d) => d.msg.toString())).toEqual(payloads);
      kept.push(got[0]!.msg, got[31]!.msg);
      want.push(payloads[0]!, payloads[31]!);
    }
    expect(kept.map((b) => b.toString())).toEqual(want);
    expect(kept.every((b) => Buffer.isBuffer(b) && Object.getPrototypeOf(b) === Buffer.prototype)).toBe(true);
  });

  it('of a batch over a quarter of a slab, or over a slab, keep theirs too (the batch gets a block of its own)', async () => {
    const { r, s, port } = await pair();
    r.setRecvBufferSize(1 << 20);
    // 20 × 1400 bytes: 28000, over 16 KiB; 48 × 1400: 67200, over 64 KiB (48 fill the queue's SO_RCVBUF)
    const rounds = [20, 48, 20].map((n, k) => Array.from({ length: n }, (_, i) => `${k}/${i}`.padEnd(1400, String(k))));
    const kept: Buffer[][] = [];
    for (const payloads of rounds) {
      await sendAll(s, port, payloads);
      settle();
      kept.push(r.receiveBatch(64).map((d) => d.msg));
    }
    expect(kept.map((b) => b.map((m) => m.toString()))).toEqual(rounds);
  });
  it('are sent and received after the memory grew (an unshared memory\'s old buffer is detached: the views of it are made again)', async () => {
    const { r, s, port } = await pair();
    const batch = new MessageBatch();
    await sendAll(s, port, ['before']);
    settle();
    expect(r.receiveBatch().map((d) => d.msg.toString())).toEqual(['before']);
    for (const dp of [a, b]) dp.memory.memory.grow(1);
    await sendAll(s, port, ['after', 'into']);
    settle();
    expect(r.receiveBatch(1).map((d) => d.msg.toString())).toEqual(['after']);
    expect(r.receiveBatch(64, batch).msg(0).toString()).toBe('into');
  });
});

describe('receiveBatch into a MessageBatch', () => {
  it('copies what waits into the batch: bytes where offsets and lengths say, the senders, rinfo as receiveBatch gives', async () => {
    const { r, s, port } = await pair();
    const payloads = Array.from({ length: 10 }, (_, i) => 'x'.repeat(i + 1));
    await sendAll(s, port, payloads);
    settle();
    const batch = new MessageBatch(16);
    expect(r.receiveBatch(64, batch)).toBe(batch);
    expect(batch.count).toBe(10);
    const sport = s.address().port;
    for (let i = 0; i < 10; i++) {
      expect(batch.data.subarray(batch.offsets[i]!, batch.offsets[i]! + batch.lengths[i]!).toString()).toBe(payloads[i]);
      expect(batch.offsets[i]! % 8).toBe(0);
      expect([batch.addresses[i], batch.ports[i]]).toEqual(['192.0.2.1', sport]);
      expect(batch.msg(i).toString()).toBe(payloads[i]);
      expect(batch.rinfo(i)).toEqual({ address: '192.0.2.1', family: 'IPv4', port: sport, size: i + 1 });
    }
    expect(() => batch.msg(10)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(b.stack.mib()['Udp:InDatagrams']).toBe(10);
    // the next receive starts over: nothing waits, count 0
    expect(r.receiveBatch(64, batch).count).toBe(0);
    expect(() => batch.msg(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('takes at most max and the capacity, oldest first; the rest waits', async () => {
    const { r, s, port } = await pair();
    const payloads = Array.from({ length: 9 }, (_, i) => `p${i}`);
    await sendAll(s, port, payloads);
    settle();
    const batch = new MessageBatch(4);
    const seen = (): string[] => Array.from({ length: batch.count }, (_, i) => batch.msg(i).toString());
    r.receiveBatch(2, batch);
    expect(seen()).toEqual(payloads.slice(0, 2));
    r.receiveBatch(64, batch);
    expect(seen()).toEqual(payloads.slice(2, 6));
    expect(r.receiveBatch(0, batch).count).toBe(0);
    expect(r.receiveBatch(64).map((d) => d.msg.toString())).toEqual(payloads.slice(6));
  });

  it('never cuts a datagram: it stops when the next may not fit whole in the bytes left', async () => {
    const { r, s, port } = await pair();
    r.setRecvBufferSize(1 << 20);
    const payloads = Array.from({ length: 47 }, (_, i) => `${i}`.padEnd(1400, '#'));
    await sendAll(s, port, payloads);
    settle();
    // 65536 bytes: 46 of 1400 (each 8-aligned: 64400 bytes); the 47th would not fit
    const batch = new MessageBatch(64, 65536);
    r.receiveBatch(64, batch);
    expect(batch.count).toBe(46);
    expect(Array.from(batch.lengths.subarray(0, 46)).every((n) => n === 1400)).toBe(true);
    expect(r.receiveBatch(64, batch).count).toBe(1);
    expect(batch.msg(0).toString()).toBe(payloads[46]);
    expect(b.stack.mib()['Udp:RcvbufErrors'] ?? 0).toBe(0);
  });

  it('checks its arguments as node does; an unbound socket has nothing, a closed one throws', () => {
    expect(() => new MessageBatch(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new MessageBatch(4, 65535)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new MessageBatch('4' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const u = b.udp.createSocket('udp4');
    const batch = new MessageBatch();
    expect(u.receiveBatch(64, batch).count).toBe(0);
    expect(() => u.receiveBatch(64, [] as unknown as MessageBatch)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    u.close();
    expect(() => u.receiveBatch(64, batch)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
  });
});

describe("'message' delivery", () => {
  it('datagrams queued while nobody listened go to the first listener; a listener that closes the socket gets no more', async () => {
    const { r, s, port } = await pair();
    await sendAll(s, port, ['q1', 'q2', 'q3']);
    settle();
    const seen: string[] = [];
    r.on('message', (m) => {
      seen.push(m.toString());
      r.close();
    });
    await once(r, 'close');
    expect(seen).toEqual(['q1']);
  });
});

describe('async iteration', () => {
  it('for await yields each datagram as it comes, in order', async () => {
    const { r, s, port } = await pair();
    const seen: string[] = [];
    const done = (async () => {
      for await (const { msg, rinfo } of r) {
        seen.push(`${msg.toString()}@${rinfo.port}`);
        if (seen.length === 6) break;
      }
    })();
    await sendAll(s, port, ['a', 'b', 'c']);
    await sendAll(s, port, ['d', 'e', 'f']);
    await done;
    const p = s.address().port;
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `${x}@${p}`));
  });

  it('a loop that breaks mid-batch loses nothing: the datagrams it fetched and did not take go to the next reader first, in order', async () => {
    const { r, s, port } = await pair();
    const payloads = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await sendAll(s, port, payloads);
    settle();
    const seen: string[] = [];
    for await (const { msg } of r) {
      seen.push(msg.toString());
      if (seen.length === 3) break; // the iterator fetched all 10 in one batch
    }
    // the next iterator, then receiveBatch, then a MessageBatch, then 'message' share the rest in order
    for await (const { msg } of r) {
      seen.push(msg.toString());
      if (seen.length === 5) break;
    }
    seen.push(...r.receiveBatch(2).map((d) => d.msg.toString()));
    await sendAll(s, port, ['n0', 'n1']);
    settle();
    const batch = new MessageBatch(3);
    r.receiveBatch(64, batch);
    seen.push(...Array.from({ length: batch.count }, (_, i) => batch.msg(i).toString()));
    expect(batch.rinfo(0)).toEqual({ address: '192.0.2.1', family: 'IPv4', port: s.address().port, size: 2 });
    const rest = new Promise<void>((resolve) => {
      r.on('message', (m) => {
        seen.push(m.toString());
        if (seen.length === 12) resolve();
      });
    });
    settle();
    await rest;
    expect(seen).toEqual([...payloads, 'n0', 'n1']);
  });

  it("a MessageBatch takes held datagrams first and then the queue's (one receive, in order)", async () => {
    const { r, s, port } = await pair();
    await sendAll(s, port, ['h0', 'h1', 'h2']);
    settle();
    for await (const _ of r) break; // takes h0, holds h1 and h2
    await sendAll(s, port, ['q0', 'q1']);
    settle();
    const batch = new MessageBatch(8);
    r.receiveBatch(64, batch);
    expect(Array.from({ length: batch.count }, (_, i) => batch.msg(i).toString())).toEqual(['h1', 'h2', 'q0', 'q1']);
    expect(Array.from(batch.offsets.subarray(0, 4)).every((o) => o % 8 === 0)).toBe(true);
  });

  it("the last 'message' listener leaving mid-batch leaves the batch's rest for the next reader", async () => {
    const { r, s, port } = await pair();
    await sendAll(s, port, ['a', 'b', 'c', 'd']);
    const first: string[] = [];
    const once1 = (m: Buffer): void => {
      first.push(m.toString());
      r.removeListener('message', once1);
    };
    r.on('message', once1);
    settle();
    expect(first).toEqual(['a']);
    expect(r.receiveBatch(64).map((d) => d.msg.toString())).toEqual(['b', 'c', 'd']);
  });

  it('next() calls made before the first resolves are answered in order, each with its own datagram', async () => {
    const { r, s, port } = await pair();
    const it = r[Symbol.asyncIterator]();
    const waiting = [it.next(), it.next(), it.next()];
    await sendAll(s, port, ['x', 'y', 'z']);
    settle();
    const got = await Promise.all(waiting);
    expect(got.map((g) => (g.done ? 'done' : g.value.msg.toString()))).toEqual(['x', 'y', 'z']);
    expect(await it.return!()).toEqual({ done: true, value: undefined });
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('batches(max) yields arrays of at most max; iteration ends when the socket closes', async () => {
    const { r, s, port } = await pair();
    await sendAll(s, port, ['1', '2', '3', '4', '5']);
    settle();
    const sizes: number[] = [];
    const it = r.batches(2);
    for (let i = 0; i < 3; i++) sizes.push((await it.next()).value!.length);
    expect(sizes).toEqual([2, 2, 1]);
    const pending = it.next();
    r.close();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('an error of the socket (ECONNREFUSED on a connected one) ends the iteration with it', async () => {
    const { s } = await pair();
    const gone = b.udp.createSocket('udp4');
    gone.bind(0, '192.0.2.2');
    await once(gone, 'listening');
    const port = gone.address().port;
    gone.close();
    s.on('error', () => undefined);
    s.connect(port, '192.0.2.2');
    await once(s, 'connect');
    const iteration = (async () => {
      for await (const _ of s) {
        // nothing is sent to s
      }
    })();
    s.send('x');
    await expect(iteration).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'recvmsg', errno: -111 });
  });
});

describe('what node on loopback cannot show', () => {
  it('a destination without a route: ENETUNREACH for the send callback', async () => {
    const s = a.udp.createSocket('udp4');
    open.push(s);
    const [e] = await new Promise<[Error | null]>((resolve) => s.send('x', 9, '198.51.100.7', (err) => resolve([err])));
    expect(e).toMatchObject({ message: 'send ENETUNREACH 198.51.100.7:9', code: 'ENETUNREACH', errno: -101, syscall: 'send', address: '198.51.100.7', port: 9 });
  });

  it('reusePort (node 22.12+): sockets that all set it share a port, one that does not is refused', async () => {
    const first = b.udp.createSocket({ type: 'udp4', reusePort: true });
    const second = b.udp.createSocket({ type: 'udp4', reusePort: true });
    const third = b.udp.createSocket('udp4');
    open.push(first, second, third);
    first.bind(0, '192.0.2.2');
    await once(first, 'listening');
    const port = first.address().port;
    second.bind(port, '192.0.2.2');
    await once(second, 'listening');
    third.bind(port, '192.0.2.2');
    const [e] = await once(third, 'error');
    expect(e).toMatchObject({ code: 'EADDRINUSE', syscall: 'bind', message: `bind EADDRINUSE 192.0.2.2:${port}` });
  });

  it('a fast path without the socket table: createSocket throws a WxdpError naming what is missing', () => {
    const bare = { fastPath: { exports: {} } } as unknown as Datapath;
    expect(() => new Udp(bare).createSocket('udp4')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/UDP sockets need the socket table/) }));
  });

  it('const { createSocket } = dp.udp stands in for node:dgram\'s', async () => {
    const { createSocket, Socket } = b.udp;
    const r = createSocket('udp4', () => undefined);
    open.push(r);
    expect(r).toBeInstanceOf(Socket);
    expect(r.listenerCount('message')).toBe(1);
  });
});

// ---- keep-alive, in child processes (the dist build is what a child can import) ----

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = `${root}dist/src/index.js`;
const noDist = existsSync(dist) ? '' : 'needs the dist build (npm run build:ts)';

/** A child that binds a socket (unless `bind` is false), maybe unrefs it, and prints 'alive' from an unref'd timer. */
function child(kind: 'node' | 'wxdp', opts: { bind: boolean; unref: boolean }): string {
  const make =
    kind === 'node'
      ? `const { createSocket } = await import('node:dgram');`
      : `const { Datapath } = await import(${JSON.stringify(dist)});
         const dp = await Datapath.create(); dp.addDevice({ name: 'w0' }); dp.ip('link set w0 up'); dp.ip('addr add 192.0.2.1/24 dev w0');
         const { createSocket } = dp.udp;`;
  const script = `${make}
    const s = createSocket('udp4');
    ${opts.bind ? `s.bind(0, '${kind === 'node' ? '127.0.0.1' : '192.0.2.1'}', () => { console.log('bound');${opts.unref ? ' s.unref();' : ''} });` : ''}
    // fires only while something else keeps the loop up; then closes what kept it
    setTimeout(() => { console.log('alive'); s.close(); }, 200).unref();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').join(' ');
}

describe.skipIf(noDist !== '')(`keep-alive as node:dgram${noDist ? ` (skipped: ${noDist})` : ''}`, () => {
  for (const kind of ['node', 'wxdp'] as const) {
    it(`${kind}: a bound, ref'd socket keeps the process up; unref'd or never bound, it does not`, () => {
      expect(child(kind, { bind: true, unref: false })).toBe('bound alive');
      expect(child(kind, { bind: true, unref: true })).toBe('bound');
      expect(child(kind, { bind: false, unref: false })).toBe('');
    });
  }
});
