// A program written for node:dgram, run unchanged on wxdp's sockets: what the scenarios of
// dgram_node.test.ts (node's own test-dgram-* files) leave out — every send form with what its callback
// gets, the errors a program reads (code, message, errno, syscall), the order of events, the socket as an
// object (instanceof, EventEmitter, Symbol.asyncDispose, rinfo's shape), options and their ranges, v4-mapped
// peers of udp6 sockets. Each scenario runs against node:dgram on loopback and against wxdp on two
// Datapaths joined by a wire (dgram_envs.ts); the records (dgram_trial.ts) must be equal.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeEnv, wxdpEnv, wxdpLoopbackEnv } from './dgram_envs.js';
import { type Scenario, type Trial, trial } from './dgram_trial.js';

const SCENARIOS: Record<string, Scenario> = {};

/** A receiver bound on host b's address (port <P>) that records each message's bytes and rinfo. */
async function receiver(t: Trial, type: 'udp4' | 'udp6' = 'udp4'): Promise<{ r: dgram.Socket; P: number; wait: (n: number) => Promise<void> }> {
  const r = await t.bound('b', type, type === 'udp4' ? t.b.v4 : t.b.v6, 'P');
  let n = 0;
  r.on('message', (m: Buffer, rinfo) => {
    n++;
    t.rec('message', [[...m], rinfo, Object.keys(rinfo), Buffer.isBuffer(m)]);
  });
  const wait = async (k: number) => {
    while (n < k) await t.until(r, 'message');
  };
  return { r, P: r.address().port, wait };
}

// ---- send, every form ----

SCENARIOS['send(Buffer | string | Uint8Array | DataView | list, port, address, cb): the bytes, the callback with (null, bytes sent), rinfo { address, family, port, size }'] = async (t) => {
  const { P, wait } = await receiver(t);
  const s = await t.bound('a', 'udp4', undefined, 'S');
  s.send(Buffer.from('buf'), P, t.b.v4, t.cb('Buffer'));
  s.send('h\u00e9llo \u{1f600}', P, t.b.v4, t.cb('string (utf8)'));
  s.send(new Uint8Array([1, 2, 3, 4]), P, t.b.v4, t.cb('Uint8Array'));
  s.send(new DataView(new ArrayBuffer(3)), P, t.b.v4, t.cb('DataView'));
  s.send([Buffer.from('a'), 'b\u00e9', new Uint8Array([99])], P, t.b.v4, t.cb('list'));
  s.send(Buffer.from('0123456789'), 2, 5, P, t.b.v4, t.cb('offset, length'));
  s.send('0123456789', 3, 4, P, t.b.v4, t.cb('string with offset, length'));
  s.send(Buffer.from('no cb'), P, t.b.v4);
  s.send(Buffer.from('port as string'), String(P) as unknown as number, t.b.v4, t.cb('port string'));
  await wait(9);
};

SCENARIOS['send without an address, and port-only forms with a callback in the address place'] = async (t) => {
  const { P, wait } = await receiver(t);
  const s = await t.bound('a', 'udp4', t.a.v4, 'S');
  // node: an omitted address is the loopback address; on wxdp's host a that is 127.0.0.1 as well,
  // so the scenario sends to the receiver by its address and the address-less forms only by their callback
  s.send('cb as address', P, t.b.v4, t.cb('address, cb'));
  s.send(Buffer.from('xyz'), 0, 3, P, t.b.v4, t.cb('offset form, cb'));
  await wait(2);
  const lo = t.make('a');
  t.call('send(msg, port, cb) returns', () => lo.send('to lo', 9, t.cb('send(msg, port, cb)')));
  await t.idle();
};

SCENARIOS['a connected socket: send(msg), send(msg, cb), send(buf, off, len, cb), send(list, cb); the peer sees each; address() and remoteAddress()'] = async (t) => {
  const { r, P, wait } = await receiver(t);
  const s = t.make('a');
  t.watch(s, 's', ['listening', 'connect', 'error', 'close']);
  s.connect(P, t.b.v4, t.cb('connect cb'));
  await t.until(s, 'connect');
  t.rec('remoteAddress', s.remoteAddress());
  t.rec('address family', s.address().family);
  s.send('one');
  s.send('two', t.cb('send(msg, cb)'));
  s.send(Buffer.from('three!'), 0, 5, t.cb('send(buf, off, len, cb)'));
  s.send([Buffer.from('fo'), 'ur'], t.cb('send(list, cb)'));
  s.send(new Uint8Array([5, 6]), t.cb('send(Uint8Array, cb)'));
  await wait(5);
  t.call('send with a port', () => s.send('x', P));
  t.call('send with port and address', () => s.send('x', P, t.b.v4));
  t.call('send with offset, length, port', () => s.send(Buffer.from('x'), 0, 1, P));
  t.call('connect again', () => s.connect(P, t.b.v4));
  t.rec('r address', r.address().family);
};

SCENARIOS['a disconnected socket: send(msg) without port ERR_SOCKET_BAD_PORT, send(msg, cb) too; disconnect twice, remoteAddress unconnected'] = async (t) => {
  const s = t.make('a');
  t.call('send(msg)', () => s.send('x'));
  t.call('send(msg, cb)', () => s.send('x', t.cb('cb')));
  t.call('send(msg, 0, 1)', () => s.send(Buffer.from('x'), 0, 1));
  t.call('disconnect unconnected', () => s.disconnect());
  t.call('remoteAddress unconnected', () => s.remoteAddress());
  for (const port of [0, -1, 65536, 1.5, NaN, '', 'abc', null, true, {}, [], 9n]) t.call(`send port ${String(port)}`, () => s.send('x', port as number, t.b.v4));
  for (const port of [0, -1, 65536, 1.5, NaN, '', 'abc', null, true, {}]) t.call(`connect port ${String(port)}`, () => s.connect(port as number, t.b.v4));
  await t.idle(20);
};

SCENARIOS['bad messages: numbers, objects, null, a list with a number, a string with offset past its end: ERR_INVALID_ARG_TYPE / ERR_BUFFER_OUT_OF_BOUNDS'] = async (t) => {
  const s = t.make('a');
  for (const msg of [1, {}, null, undefined, true, [1], [Buffer.from('a'), 2], new ArrayBuffer(2), Symbol('x')]) t.call(`send ${typeof msg}`, () => s.send(msg as unknown as string, 9, t.b.v4));
  t.call('offset past the end', () => s.send(Buffer.from('abc'), 4, 0, 9, t.b.v4));
  t.call('length past the end', () => s.send(Buffer.from('abc'), 1, 3, 9, t.b.v4));
  t.call('negative offset', () => s.send(Buffer.from('abc'), -1, 1, 9, t.b.v4));
  t.call('offset as string', () => s.send(Buffer.from('abc'), '1' as unknown as number, 1, 9, t.b.v4));
  t.call('length missing', () => s.send(Buffer.from('abc'), 1, undefined as unknown as number, 9, t.b.v4));
  for (const addr of [1, {}, true, []]) t.call(`address ${typeof addr}`, () => s.send('x', 9, addr as unknown as string));
  t.call('callback not a function', () => s.send('x', 9, t.b.v4, 'cb' as unknown as () => void));
  await t.idle(20);
};

SCENARIOS['after close: send, bind, connect, address, remoteAddress, setTTL, setBroadcast, buffer sizes, close again throw ERR_SOCKET_DGRAM_NOT_RUNNING'] = async (t) => {
  const s = await t.bound('a');
  t.watch(s, 's', ['close', 'error']);
  s.close(t.cb('close cb'));
  t.call('send', () => s.send('x', 9, t.b.v4, t.cb('send cb')));
  t.call('bind', () => s.bind(0));
  t.call('connect', () => s.connect(9, t.b.v4));
  t.call('disconnect', () => s.disconnect());
  t.call('address', () => s.address());
  t.call('remoteAddress', () => s.remoteAddress());
  t.call('setTTL', () => s.setTTL(5));
  t.call('setBroadcast', () => s.setBroadcast(true));
  t.call('setMulticastTTL', () => s.setMulticastTTL(5));
  t.call('setMulticastLoopback', () => s.setMulticastLoopback(true));
  t.call('addMembership', () => s.addMembership('239.1.2.3'));
  t.call('getRecvBufferSize', () => s.getRecvBufferSize());
  t.call('getSendBufferSize', () => s.getSendBufferSize());
  t.call('close again', () => s.close());
  await t.idle(20);
  t.call('close after close event', () => s.close(t.cb('late close cb')));
  await t.idle(20);
};

SCENARIOS['a send error with a callback goes to the callback; without one it is dropped (node emits no error event for it)'] = async (t) => {
  const s = await t.bound('a');
  t.watch(s, 's', ['error', 'close']);
  s.send(Buffer.alloc(65508), 9, t.b.v4);
  s.send(Buffer.alloc(65508), 9, t.b.v4, t.cb('cb'));
  await t.idle(30);
  s.close();
  await t.until(s, 'close');
};

SCENARIOS['udp6: 65527 bytes (IPv6 payload limit less the UDP header) arrive whole; 65528 is EMSGSIZE for the callback'] = async (t) => {
  const { P, wait } = await (async () => {
    const r = await t.bound('b', 'udp6', t.b.v6, 'P');
    let n = 0;
    r.on('message', (m: Buffer, rinfo) => {
      n++;
      t.rec('message', [m.length, m[0], m[m.length - 1], rinfo.size, rinfo.family]);
    });
    return { P: r.address().port, wait: async (k: number) => { while (n < k) await t.until(r, 'message'); } };
  })();
  const s = t.make('a', 'udp6');
  s.send(Buffer.alloc(65527, 7), P, t.b.v6, t.cb('65527'));
  await wait(1);
  s.send(Buffer.alloc(65528, 7), P, t.b.v6, t.cb('65528'));
  await t.idle(30);
};

SCENARIOS['a burst of 100 datagrams sent in one tick: every send callback in order, every datagram received in order'] = async (t) => {
  const r = await t.bound('b', 'udp4', t.b.v4, 'P');
  const got: number[] = [];
  r.on('message', (m: Buffer) => got.push(m.readUInt16BE(0)));
  const s = await t.bound('a');
  const done: number[] = [];
  for (let i = 0; i < 100; i++) {
    const b = Buffer.alloc(200);
    b.writeUInt16BE(i, 0);
    s.send(b, r.address().port, t.b.v4, (err, n) => done.push(err ? -1 : n === 200 ? i : -2));
  }
  while (got.length < 100) await t.until(r, 'message');
  t.rec('callbacks in order', done.length === 100 && done.every((v, i) => v === i));
  t.rec('received in order', got.every((v, i) => v === i));
};

SCENARIOS['nothing is delivered after close(): a datagram on its way to a socket that closes is not emitted'] = async (t) => {
  const r = await t.bound('b', 'udp4', t.b.v4, 'P');
  t.watch(r, 'r');
  const s = await t.bound('a');
  s.send('late', r.address().port, t.b.v4, () => {
    r.close();
  });
  await t.until(r, 'close');
  await t.idle(40);
};

// ---- events ----

SCENARIOS["event order: listening before message, send callbacks in order, the implicit bind's listening before the first callback; close once"] = async (t) => {
  const { P, wait } = await receiver(t);
  const s = t.make('a');
  t.watch(s, 's');
  for (let i = 0; i < 5; i++) s.send(`m${i}`, P, t.b.v4, t.cb(`send ${i}`));
  t.rec('sent synchronously');
  await wait(5);
  s.close(t.cb('close cb'));
  t.call('closing twice', () => s.close());
  await t.until(s, 'close');
  await t.idle(20);
};

SCENARIOS["an echo server and client: listening, the request, the reply to rinfo's port and address, close"] = async (t) => {
  const server = t.make('b', 'udp4');
  t.watch(server, 'server', ['listening', 'error', 'close']);
  server.on('message', (m: Buffer, rinfo: dgram.RemoteInfo) => {
    t.rec('server got', [m.toString(), rinfo]);
    server.send(m.toString().toUpperCase(), rinfo.port, rinfo.address, t.cb('server send'));
  });
  server.bind(0, t.b.v4);
  await t.until(server, 'listening');
  t.port(server.address().port, 'P');
  const client = t.make('a', 'udp4');
  t.watch(client, 'client');
  client.send('hello', server.address().port, t.b.v4, t.cb('client send'));
  await t.until(client, 'message');
  client.close();
  server.close();
  await t.until(server, 'close');
};

SCENARIOS['udp6: rinfo of an IPv6 sender, of an IPv4 sender on a dual-stack socket (::ffff:), ipv6Only refuses v4-mapped destinations'] = async (t) => {
  const r6 = t.make('b', 'udp6');
  r6.on('message', (m: Buffer, rinfo) => t.rec('r6 message', [m.toString(), rinfo, Object.keys(rinfo)]));
  r6.bind(0);
  await t.until(r6, 'listening');
  t.port(r6.address().port, 'P');
  t.rec('r6 address', r6.address());
  const s6 = t.make('a', 'udp6');
  s6.send('six', r6.address().port, t.b.v6, t.cb('s6 send'));
  await t.until(r6, 'message');
  const s4 = t.make('a', 'udp4');
  s4.send('four', r6.address().port, t.b.v4, t.cb('s4 send'));
  await t.until(r6, 'message');
  const m6 = t.make('a', 'udp6');
  m6.send('mapped', r6.address().port, `::ffff:${t.b.v4}`, t.cb('mapped send'));
  await t.until(r6, 'message');
  const only = t.make('a', { type: 'udp6', ipv6Only: true });
  t.watch(only, 'only', ['error']);
  only.send('mapped from v6only', r6.address().port, `::ffff:${t.b.v4}`, t.cb('v6only mapped send'));
  await t.idle(50);
};

SCENARIOS['ipv6Only: a udp6 socket on [::]:P with ipv6Only leaves P to udp4; both hear their family only'] = async (t) => {
  const r6 = t.make('b', { type: 'udp6', ipv6Only: true });
  r6.on('message', (m: Buffer, rinfo) => t.rec('r6 message', [m.toString(), rinfo.family]));
  r6.bind(0);
  await t.until(r6, 'listening');
  const P = t.port(r6.address().port, 'P');
  const r4 = t.make('b', 'udp4');
  r4.on('message', (m: Buffer, rinfo) => t.rec('r4 message', [m.toString(), rinfo.family]));
  r4.bind(P);
  t.rec('r4 bind', await t.bindOutcome(r4));
  const s4 = t.make('a', 'udp4');
  s4.send('v4', P, t.b.v4);
  await t.until(r4, 'message');
  const s6 = t.make('a', 'udp6');
  s6.send('v6', P, t.b.v6);
  await t.until(r6, 'message');
};

// ---- bind ----

SCENARIOS['bind forms: bind(port), bind(port, cb), bind({ port, exclusive: true }, cb), bind({}), bind({ address }): listening and address()'] = async (t) => {
  const a = t.make('a');
  a.bind(0);
  await t.until(a, 'listening');
  t.rec('bind(0)', a.address().address);
  const b = t.make('a');
  b.bind(0, t.cb('bind(port, cb)'));
  await t.until(b, 'listening');
  const c = t.make('a');
  c.bind({ port: 0, exclusive: true }, t.cb('bind(options with exclusive, cb)'));
  await t.until(c, 'listening');
  t.rec('exclusive address', c.address().address);
  const d = t.make('a');
  t.call('bind({})', () => d.bind({}) === d);
  await t.until(d, 'listening');
  const e = t.make('a', 'udp6');
  e.bind({ address: t.a.v6 }, t.cb('bind({ address }, cb)'));
  await t.until(e, 'listening');
  t.rec('udp6 address', e.address());
  // node checks no bind port: the binding takes its low 16 bits (a port in use then fails as any would)
  for (const bad of [{ port: 'x' }, { port: 65536 }, { port: 1.5 }, { port: '7' }] as dgram.BindOptions[]) {
    const x = t.make('a');
    t.call(`bind(${JSON.stringify(bad)})`, () => x.bind(bad) === x);
    const outcome = await t.bindOutcome(x);
    t.rec(`bind(${JSON.stringify(bad)}) outcome`, outcome === 'listening' ? [outcome, x.address().port === (Number(bad.port) >>> 0) % 65536 || x.address().port > 1024] : outcome);
  }
  const f = t.make('a');
  f.on('error', (e) => t.rec('bind(0, 5) error', e));
  t.call('bind(0, 5)', () => f.bind(0, 5 as unknown as string));
  await t.idle(30);
};

SCENARIOS['EADDRINUSE: without reuseAddr the error event (code, errno, syscall, address, port, message), with reuseAddr on both bound; a closed port is free again'] = async (t) => {
  const first = await t.bound('b', 'udp4', t.b.v4, 'P');
  const P = first.address().port;
  const second = t.make('b');
  t.watch(second, 'second', ['listening', 'error', 'close']);
  second.bind(P, t.b.v4, t.cb('second bind cb'));
  await t.until(second, 'error');
  t.call('second address', () => second.address());
  t.call('second bind again', () => second.bind(0));
  await t.idle(20);
  const ra = t.make('b', { type: 'udp4', reuseAddr: true });
  ra.bind(0, t.b.v4);
  await t.until(ra, 'listening');
  const Q = t.port(ra.address().port, 'Q');
  const rb = t.make('b', { type: 'udp4', reuseAddr: true });
  rb.bind(Q, t.b.v4);
  t.rec('reuseAddr on both', await t.bindOutcome(rb));
  const rc = t.make('b', 'udp4');
  rc.bind(Q, t.b.v4);
  t.rec('without reuseAddr on the third', await t.bindOutcome(rc));
  first.close();
  await t.until(first, 'close');
  const again = t.make('b');
  again.bind(P, t.b.v4);
  t.rec('after close', await t.bindOutcome(again));
};

SCENARIOS['address() before bind throws (getsockname EBADF): its fields'] = async (t) => {
  const s = t.make('a');
  t.call('address', () => s.address());
  const s6 = t.make('a', 'udp6');
  t.call('address udp6', () => s6.address());
  t.call('remoteAddress', () => s.remoteAddress());
};

// ---- options ----

SCENARIOS['setTTL and setMulticastTTL: ranges, types, returns; setBroadcast and setMulticastLoopback: returns'] = async (t) => {
  const s = await t.bound('a');
  for (const v of [0, 1, 64, 255, 256, -1, 1.5, '5', NaN]) t.call(`setTTL(${String(v)})`, () => s.setTTL(v as number));
  for (const v of [0, 1, 255, 256, -1, '5']) t.call(`setMulticastTTL(${String(v)})`, () => s.setMulticastTTL(v as number));
  for (const v of [true, false, 1, 0, 'x']) t.call(`setBroadcast(${String(v)})`, () => s.setBroadcast(v as boolean));
  for (const v of [true, false, 1, 0]) t.call(`setMulticastLoopback(${String(v)})`, () => s.setMulticastLoopback(v as boolean));
  const s6 = await t.bound('a', 'udp6');
  for (const v of [0, 1, 255, 256]) t.call(`udp6 setTTL(${String(v)})`, () => s6.setTTL(v));
  for (const v of [0, 255, 256]) t.call(`udp6 setMulticastTTL(${String(v)})`, () => s6.setMulticastTTL(v));
  t.call('udp6 setBroadcast', () => s6.setBroadcast(true));
};

SCENARIOS['buffer sizes: set and get after bind (Linux keeps twice the value), bounds, from createSocket options'] = async (t) => {
  const s = await t.bound('a');
  for (const v of [4096, 65536, 1 << 20, 1]) {
    t.call(`setRecvBufferSize(${v})`, () => s.setRecvBufferSize(v));
    t.call(`getRecvBufferSize after ${v}`, () => s.getRecvBufferSize());
    t.call(`setSendBufferSize(${v})`, () => s.setSendBufferSize(v));
    t.call(`getSendBufferSize after ${v}`, () => s.getSendBufferSize());
  }
  for (const v of [-1, 1.5, 'x', 2 ** 32]) t.call(`setRecvBufferSize(${String(v)})`, () => s.setRecvBufferSize(v as number));
  const o = t.make('a', { type: 'udp4', recvBufferSize: 10000, sendBufferSize: 20000 });
  o.bind(0);
  await t.until(o, 'listening');
  t.rec('from options', [o.getRecvBufferSize(), o.getSendBufferSize()]);
  for (const bad of [-1, 1.5, 'x']) t.call(`createSocket recvBufferSize ${String(bad)}`, () => t.make('a', { type: 'udp4', recvBufferSize: bad as number }));
};

SCENARIOS['multicast: addMembership/dropMembership/setMulticastInterface with bad groups and interfaces, on udp4 and udp6'] = async (t) => {
  const s = await t.bound('a');
  t.call('addMembership no group', () => (s.addMembership as (g?: string) => void)());
  t.call('addMembership unicast', () => s.addMembership(t.b.v4));
  t.call('addMembership bad text', () => s.addMembership('not an address'));
  // (with no interface the kernel picks the device by a route to the group: node's host has a default
  // route, the wire's Datapaths none, where the kernel says ENODEV: so an interface is given)
  t.call('dropMembership not member', () => s.dropMembership('239.9.9.9', t.a.v4));
  t.call('setMulticastInterface bad', () => s.setMulticastInterface('not an address'));
  t.call('setMulticastInterface number', () => s.setMulticastInterface(5 as unknown as string));
  t.call('addSourceSpecificMembership unicast group', () => s.addSourceSpecificMembership(t.b.v4, t.b.v4));
  const s6 = await t.bound('a', 'udp6');
  t.call('udp6 addMembership v4 group', () => s6.addMembership('239.1.1.1', t.a.v4));
  t.call('udp6 dropMembership v4 group', () => s6.dropMembership('239.1.1.1', t.a.v4));
  t.call('udp6 dropMembership not member', () => s6.dropMembership('ff02::1:2'));
  t.call('udp6 setMulticastInterface bad', () => s6.setMulticastInterface('1.2.3.4'));
};

// ---- the socket as an object ----

SCENARIOS['the socket as an object: an EventEmitter with node\'s methods, keys, type; Symbol.asyncDispose closes once; an error with no listener throws from emit'] = async (t) => {
  const s = t.make('a');
  const methods = ['addMembership', 'addSourceSpecificMembership', 'address', 'bind', 'close', 'connect', 'disconnect', 'dropMembership', 'dropSourceSpecificMembership', 'getRecvBufferSize', 'getSendBufferSize', 'getSendQueueCount', 'getSendQueueSize', 'ref', 'remoteAddress', 'send', 'sendto', 'setBroadcast', 'setMulticastInterface', 'setMulticastLoopback', 'setMulticastTTL', 'setRecvBufferSize', 'setSendBufferSize', 'setTTL', 'unref'];
  t.rec('methods', methods.map((m) => [m, typeof (s as unknown as Record<string, unknown>)[m], ((s as unknown as Record<string, (...a: unknown[]) => unknown>)[m] ?? { length: -1 }).length]));
  // (wxdp's sockets are also async iterables, which node's are not: an addition no node program sees)
  t.rec('instanceof', [s instanceof EventEmitter, s instanceof dgram.Socket, typeof s[Symbol.asyncDispose]]);
  const old = s as unknown as Record<string, unknown>;
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => warnings.push(`${w.name} ${w.code}`);
  process.on('warning', onWarning);
  t.rec('deprecated accessors', [old._bindState, old._queue, typeof old._healthCheck, typeof old._stopReceiving, '_handle' in old]);
  await t.idle(10);
  process.off('warning', onWarning);
  t.rec('deprecation warnings (once a process)', warnings.length <= 1 && warnings.every((w) => w === 'DeprecationWarning DEP0112'));
  t.rec('type', s.type);
  t.rec('json', JSON.stringify(s).replace(/"_eventsCount":\d+/, ''));
  t.call('emit error without a listener', () => s.emit('error', new Error('boom')));
  s.bind(0);
  await t.until(s, 'listening');
  t.watch(s, 's', ['close']);
  await s[Symbol.asyncDispose]();
  t.rec('disposed');
  await s[Symbol.asyncDispose]();
  t.rec('disposed twice');
  const never = t.make('a');
  t.watch(never, 'never', ['close']);
  await never[Symbol.asyncDispose]();
  t.rec('never-bound disposed');
  await t.idle(20);
};

SCENARIOS["once('message'): the listener runs once and is gone, as EventEmitter's"] = async (t) => {
  const r2 = t.make('b');
  r2.bind(0, t.b.v4);
  await t.until(r2, 'listening');
  const Q = t.port(r2.address().port, 'Q');
  const s = t.make('a');
  const onceMsg = new Promise<void>((resolve) => r2.once('message', (m: Buffer) => {
    t.rec('once', m.toString());
    resolve();
  }));
  s.send('first', Q, t.b.v4);
  await onceMsg;
  t.rec('listeners after once', r2.listenerCount('message'));
};


const wx = wxdpEnv();
const lo = wxdpLoopbackEnv();
const skip = await wx.unavailable();

describe.skipIf(skip !== '').each([wx, lo])(`node:dgram programs, node:dgram on loopback vs $name${skip ? ` (skipped: ${skip})` : ''}`, (env) => {
  beforeAll(async () => {
    await env.setup();
  });
  afterAll(async () => {
    await env.teardown();
  });

  it.for(Object.keys(SCENARIOS))('%s', async (name) => {
    const scenario = SCENARIOS[name]!;
    const want = await trial(nodeEnv, scenario);
    const got = await trial(env, scenario);
    expect(got).toEqual(want);
  });
});

// ---- whole programs, in child processes: exit, uncaught exceptions, an unhandled 'error' ----

const dist = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
const noDist = existsSync(dist) ? '' : 'needs the dist build (npm run build:ts)';

/**
 * Run a program written for node:dgram (its body uses `createSocket`) with node's createSocket or with that
 * of a Datapath with only its loopback; what it printed, its exit status, and stderr's first error line.
 */
function program(kind: 'node' | 'wxdp', body: string): { stdout: string; status: number | null; error: string } {
  const make =
    kind === 'node'
      ? `const { createSocket } = await import('node:dgram');`
      : `const { Datapath } = await import(${JSON.stringify(dist)});
         const dp = await Datapath.create(); dp.ip('link set lo up');
         const { createSocket } = dp.udp;`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${make}\n${body}`], { encoding: 'utf8', timeout: 20000 });
  const error = (r.stderr.split('\n').find((l) => /^\w*Error/.test(l)) ?? '').replace(/:\d+$/, ':<port>');
  return { stdout: r.stdout.trim().replace(/\b\d{4,5}\b/g, '<port>'), status: r.status, error };
}

const PROGRAMS: Record<string, string> = {
  'an echo server and a client: the reply, then both closed and the process ends by itself': `
    const server = createSocket('udp4');
    server.on('message', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
    server.on('listening', () => {
      const client = createSocket('udp4');
      client.on('message', (msg, rinfo) => {
        console.log('reply', String(msg), rinfo.address, rinfo.family, rinfo.size);
        client.close(() => console.log('client closed'));
        server.close(() => console.log('server closed'));
      });
      client.send('ping', server.address().port, '127.0.0.1', (err, n) => console.log('sent', err, n));
    });
    server.bind(0, '127.0.0.1');`,
  "a 'message' listener that throws: an uncaught exception, and the next datagram still comes": `
    process.on('uncaughtException', (e) => console.log('uncaught', e.message));
    const server = createSocket('udp6');
    let n = 0;
    server.on('message', (m, rinfo) => {
      console.log('message', String(m), rinfo.family);
      if (++n === 1) throw new Error('from the listener');
      server.close();
      client.close();
    });
    const client = createSocket('udp6');
    server.bind(0, '::1', () => {
      client.send('one', server.address().port, '::1');
      setTimeout(() => client.send('two', server.address().port, '::1'), 100);
    });`,
  "an unhandled 'error' (a port in use) ends the process with it": `
    const a = createSocket('udp4');
    a.bind(0, '127.0.0.1', () => {
      const b = createSocket('udp4');
      b.bind(a.address().port, '127.0.0.1');
    });`,
  "an unref'd bound socket does not keep the process; a ref'd one does until closed": `
    const a = createSocket('udp4').bind(0, '127.0.0.1', () => { a.unref(); console.log('a unref'); });
    const b = createSocket('udp4').bind(0, '127.0.0.1', () => setTimeout(() => { console.log('b closes'); b.close(); }, 150).unref());`,
};

describe.skipIf(noDist !== '')(`programs for node:dgram, run with node's createSocket and a Datapath's${noDist ? ` (skipped: ${noDist})` : ''}`, () => {
  it.for(Object.keys(PROGRAMS))('%s', (name) => {
    const want = program('node', PROGRAMS[name]!);
    const got = program('wxdp', PROGRAMS[name]!);
    // (node's run says something: the program ran)
    expect(want.stdout + want.error).not.toBe('');
    expect(got).toEqual(want);
  });
});
