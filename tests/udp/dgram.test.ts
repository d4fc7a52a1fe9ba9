// node:dgram's behaviour, one test file run twice (describe.each): against node:dgram on loopback, and
// against wxdp's sockets on two Datapaths joined by a wire. Every expectation is what node:dgram does
// on this machine's loopback (its addresses swapped for each environment's); wxdp must do the same.
//
// (the environments: dgram_envs.ts).
//
// What only one side has (node's multicast on loopback, wxdp's batches) is tested elsewhere.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type * as dgram from 'node:dgram';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Env, type Sock, nodeEnv, nodeErr, sysErr, thrown, wxdpEnv, wxdpLoopbackEnv } from './dgram_envs.js';

const ENVS: Env[] = [nodeEnv, wxdpEnv(), wxdpLoopbackEnv()];
const reasons = new Map<Env, string>();
for (const env of ENVS) reasons.set(env, await env.unavailable());

describe.each(ENVS)('$name', (env) => {
  const skip = reasons.get(env)!;
  const open: Sock[] = [];
  const make = (host: 'a' | 'b', type: 'udp4' | 'udp6' | dgram.SocketOptions = 'udp4'): Sock => {
    const s = env.on(host)(type);
    open.push(s);
    return s;
  };
  const bound = async (host: 'a' | 'b', type: 'udp4' | 'udp6' | dgram.SocketOptions = 'udp4', port = 0, address?: string): Promise<Sock> => {
    const s = make(host, type);
    s.bind(port, address);
    await once(s, 'listening');
    return s;
  };
  const message = (s: Sock): Promise<[Buffer, dgram.RemoteInfo]> => once(s, 'message') as Promise<[Buffer, dgram.RemoteInfo]>;
  const sent = (f: (cb: (e: Error | null, n?: number) => void) => void): Promise<[Error | null, number | undefined]> =>
    new Promise((resolve) => f((e, n) => resolve([e, n])));

  beforeAll(async () => {
    if (!skip) await env.setup();
  });
  afterAll(async () => {
    if (!skip) await env.teardown();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) {
      try {
        s.close();
      } catch {
        // closed by the test
      }
    }
  });

  describe.skipIf(skip !== '')(`bind${skip ? ` (skipped: ${skip})` : ''}`, () => {
    it('bind() takes an ephemeral port from ip_local_port_range on the wildcard address; listening comes later, not in the call', async () => {
      const s = make('a');
      let inCall = true;
      let listenedInCall: boolean | undefined;
      s.on('listening', () => (listenedInCall = inCall));
      s.bind();
      inCall = false;
      await once(s, 'listening');
      expect(listenedInCall).toBe(false);
      const ad = s.address();
      expect(Object.keys(ad)).toEqual(['address', 'family', 'port']);
      expect(ad.address).toBe('0.0.0.0');
      expect(ad.family).toBe('IPv4');
      const [lo, hi] = env.portRange();
      expect(ad.port).toBeGreaterThanOrEqual(lo);
      expect(ad.port).toBeLessThanOrEqual(hi);
    });

    it('bind(0, address, cb), bind({ port, address }, cb) and bind(cb): the callback runs as the socket, after listening', async () => {
      const s1 = make('a');
      const self1 = await new Promise((resolve) =>
        s1.bind(0, env.a.v4, function (this: Sock) {
          resolve(this);
        }),
      );
      expect(self1).toBe(s1);
      expect(s1.address().address).toBe(env.a.v4);
      const s2 = make('a', 'udp6');
      await new Promise<void>((resolve) => s2.bind({ port: 0, address: env.a.v6 }, resolve));
      expect(s2.address()).toMatchObject({ address: env.a.v6, family: 'IPv6' });
      const s3 = make('a', 'udp6');
      await new Promise<void>((resolve) => s3.bind(resolve));
      expect(s3.address()).toMatchObject({ address: '::', family: 'IPv6' });
      // a port taken from a closed socket: bind(port) gets exactly it
      const t = await bound('a');
      const port = t.address().port;
      t.close();
      const s4 = make('a');
      await new Promise<void>((resolve) => s4.bind(port, resolve));
      expect(s4.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port });
    });

    it('a port in use: error EADDRINUSE with syscall bind, address and port, the socket back to unbound', async () => {
      const s = await bound('a');
      const port = s.address().port;
      const t = make('a');
      let listened = false;
      t.on('listening', () => (listened = true));
      t.bind(port);
      const [e] = await once(t, 'error');
      expect(sysErr(e)).toEqual({ name: 'Error', message: `bind EADDRINUSE 0.0.0.0:${port}`, code: 'EADDRINUSE', errno: -98, syscall: 'bind', address: '0.0.0.0', port, keys: ['errno', 'code', 'syscall', 'address', 'port'] });
      expect(listened).toBe(false);
      // libuv made the socket before bind failed: it has a name, the unspecified one
      expect(t.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 0 });
      // unbound again, so it may bind elsewhere
      t.bind(0);
      await once(t, 'listening');
    });

    it('an address the host does not have: EADDRNOTAVAIL (no port in the message for port 0)', async () => {
      const s = make('a');
      s.bind(0, '192.0.2.99');
      const [e] = await once(s, 'error');
      expect(sysErr(e)).toEqual({ name: 'Error', message: 'bind EADDRNOTAVAIL 192.0.2.99', code: 'EADDRNOTAVAIL', errno: -99, syscall: 'bind', address: '192.0.2.99', port: undefined, keys: ['errno', 'code', 'syscall', 'address'] });
    });

    it('an address of the other family: EINVAL; ipv6Only on udp4: EINVAL', async () => {
      const s = make('a');
      s.bind(0, '::1');
      expect(sysErr((await once(s, 'error'))[0])).toMatchObject({ message: 'bind EINVAL ::1', code: 'EINVAL', errno: -22, syscall: 'bind' });
      const t = make('a', { type: 'udp4', ipv6Only: true });
      t.bind(0);
      expect(sysErr((await once(t, 'error'))[0])).toMatchObject({ message: 'bind EINVAL 0.0.0.0', code: 'EINVAL', errno: -22, syscall: 'bind' });
    });

    it('binding twice throws ERR_SOCKET_ALREADY_BOUND at once, also while the first bind is under way', async () => {
      const s = make('a');
      s.bind(0);
      expect(nodeErr(thrown(() => s.bind(0)))).toEqual({ ctor: 'Error', name: 'Error', code: 'ERR_SOCKET_ALREADY_BOUND', message: 'Socket is already bound', text: 'Error [ERR_SOCKET_ALREADY_BOUND]: Socket is already bound', keys: ['code'] });
      await once(s, 'listening');
      expect((thrown(() => s.bind(0)) as { code: string }).code).toBe('ERR_SOCKET_ALREADY_BOUND');
    });

    it('dual stack: udp6 on [::]:P takes P from udp4 too (EADDRINUSE); with ipv6Only it does not', async () => {
      const d6 = await bound('a', 'udp6', 0, '::');
      const t = make('a');
      t.bind(d6.address().port);
      expect(((await once(t, 'error'))[0] as { code: string }).code).toBe('EADDRINUSE');
      const o6 = await bound('a', { type: 'udp6', ipv6Only: true }, 0, '::');
      const o4 = make('a');
      await new Promise<void>((resolve) => o4.bind(o6.address().port, resolve));
      expect(o4.address().port).toBe(o6.address().port);
    });

    it('reuseAddr: two sockets on one port both bind', async () => {
      const s = await bound('a', { type: 'udp4', reuseAddr: true });
      const t = make('a', { type: 'udp4', reuseAddr: true });
      await new Promise<void>((resolve) => t.bind(s.address().port, resolve));
      expect(t.address().port).toBe(s.address().port);
    });

    it('bind({ fd }) of a file: ERR_INVALID_FD_TYPE, and the socket is left binding (a second bind: ERR_SOCKET_ALREADY_BOUND)', () => {
      const fd = openSync(fileURLToPath(import.meta.url), 'r');
      try {
        const s = make('a');
        expect(nodeErr(thrown(() => s.bind({ fd })))).toEqual({ ctor: 'TypeError', name: 'TypeError', code: 'ERR_INVALID_FD_TYPE', message: 'Unsupported fd type: FILE', text: 'TypeError [ERR_INVALID_FD_TYPE]: Unsupported fd type: FILE', keys: ['code'] });
        expect((thrown(() => s.bind(0)) as { code: string }).code).toBe('ERR_SOCKET_ALREADY_BOUND');
      } finally {
        closeSync(fd);
      }
    });

    it('address() before bind: getsockname EBADF', () => {
      const s = make('a');
      expect(sysErr(thrown(() => s.address()))).toEqual({ name: 'Error', message: 'getsockname EBADF', code: 'EBADF', errno: -9, syscall: 'getsockname', address: undefined, port: undefined, keys: ['errno', 'code', 'syscall'] });
    });
  });

  describe.skipIf(skip !== '')(`send and receive${skip ? ` (skipped: ${skip})` : ''}`, () => {
    it('send(string, port, address) → message with rinfo { address, family, port, size } of the sender', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const s = await bound('a', 'udp4', 0, env.a.v4);
      const got = message(r);
      s.send('hello', r.address().port, env.b.v4);
      const [msg, rinfo] = await got;
      expect(Buffer.isBuffer(msg)).toBe(true);
      expect(msg.toString()).toBe('hello');
      expect(Object.keys(rinfo)).toEqual(['address', 'family', 'port', 'size']);
      expect(rinfo).toEqual({ address: env.a.v4, family: 'IPv4', port: s.address().port, size: 5 });
    });

    it('an unbound socket binds on send: listening first, then the callback with the bytes sent', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const s = make('a');
      const order: string[] = [];
      s.on('listening', () => order.push('listening'));
      const got = message(r);
      const [e, n] = await sent((cb) => s.send(Buffer.from('abc'), r.address().port, env.b.v4, (err, bytes) => (order.push('sent'), cb(err, bytes))));
      expect([e, n]).toEqual([null, 3]);
      expect(order).toEqual(['listening', 'sent']);
      const [, rinfo] = await got;
      expect(rinfo.port).toBe(s.address().port);
      expect(s.address().address).toBe('0.0.0.0');
    });

    it('send(buffer, offset, length, port, address, cb) sends the slice; send([buffers]) one datagram of them all', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const s = await bound('a');
      const port = r.address().port;
      let got = message(r);
      expect(await sent((cb) => s.send(Buffer.from('0123456789'), 2, 5, port, env.b.v4, cb))).toEqual([null, 5]);
      expect((await got)[0].toString()).toBe('23456');
      got = message(r);
      expect(await sent((cb) => s.send([Buffer.from('ab'), 'cd', new Uint8Array([0x65, 0x66]), new DataView(new Uint8Array([0x67]).buffer)], port, env.b.v4, cb))).toEqual([null, 7]);
      expect((await got)[0].toString()).toBe('abcdefg');
      // offset and length of a string, a Uint8Array
      got = message(r);
      expect(await sent((cb) => s.send('xyz', 1, 1, port, env.b.v4, cb))).toEqual([null, 1]);
      expect((await got)[0].toString()).toBe('y');
      got = message(r);
      expect(await sent((cb) => s.send(new Uint8Array([1, 2, 3, 4]), 1, 2, port, env.b.v4, cb))).toEqual([null, 2]);
      expect([...(await got)[0]]).toEqual([2, 3]);
    });

    it('an empty datagram and an empty list arrive as empty messages', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const s = await bound('a');
      let got = message(r);
      expect(await sent((cb) => s.send(Buffer.alloc(0), r.address().port, env.b.v4, cb))).toEqual([null, 0]);
      expect((await got)[1].size).toBe(0);
      got = message(r);
      expect(await sent((cb) => s.send([], r.address().port, env.b.v4, cb))).toEqual([null, 0]);
      expect((await got)[0].length).toBe(0);
    });

    it('the largest IPv4 datagram (65507 bytes) arrives whole; one byte more is EMSGSIZE for the callback', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      r.setRecvBufferSize(1 << 18);
      const s = await bound('a');
      const port = r.address().port;
      const big = Buffer.alloc(65507, 0);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
      const got = message(r);
      expect(await sent((cb) => s.send(big, port, env.b.v4, cb))).toEqual([null, 65507]);
      expect((await got)[0].equals(big)).toBe(true);
      const [e] = await sent((cb) => s.send(Buffer.alloc(65508), port, env.b.v4, cb));
      expect(sysErr(e)).toEqual({ name: 'Error', message: `send EMSGSIZE ${env.b.v4}:${port}`, code: 'EMSGSIZE', errno: -90, syscall: 'send', address: env.b.v4, port, keys: ['errno', 'code', 'syscall', 'address', 'port'] });
    });

    it('to a broadcast address: EACCES until setBroadcast(true)', async () => {
      const s = await bound('a');
      const [e] = await sent((cb) => s.send('b', 9, env.broadcast4, cb));
      expect(sysErr(e)).toMatchObject({ message: `send EACCES ${env.broadcast4}:9`, code: 'EACCES', errno: -13, syscall: 'send' });
      s.setBroadcast(true);
      expect(await sent((cb) => s.send('b', 9, env.broadcast4, cb))).toEqual([null, 1]);
    });

    it('IPv6: rinfo family IPv6 with the sender address; a dual-stack socket sees IPv4 senders as ::ffff:a.b.c.d', async () => {
      const r = await bound('b', 'udp6', 0, '::');
      const s6 = await bound('a', 'udp6', 0, env.a.v6);
      let got = message(r);
      s6.send('six', r.address().port, env.b.v6);
      expect((await got)[1]).toEqual({ address: env.a.v6, family: 'IPv6', port: s6.address().port, size: 3 });
      const s4 = await bound('a', 'udp4', 0, env.a.v4);
      got = message(r);
      s4.send('four', r.address().port, env.b.v4);
      expect((await got)[1]).toEqual({ address: `::ffff:${env.a.v4}`, family: 'IPv6', port: s4.address().port, size: 4 });
    });

    it('without an address, send and connect go to the loopback address (127.0.0.1, ::1) of the sending host', async () => {
      const r = await bound('a', 'udp4', 0, '0.0.0.0');
      const s = await bound('a');
      let got = message(r);
      s.send('lo', r.address().port);
      expect((await got)[1]).toMatchObject({ address: '127.0.0.1', family: 'IPv4', port: s.address().port });
      const r6 = await bound('a', 'udp6', 0, '::');
      const c6 = make('a', 'udp6');
      c6.connect(r6.address().port);
      await once(c6, 'connect');
      expect(c6.remoteAddress()).toEqual({ address: '::1', family: 'IPv6', port: r6.address().port });
      got = message(r6);
      c6.send('lo6');
      expect((await got)[1]).toMatchObject({ address: '::1', family: 'IPv6', port: c6.address().port });
    });

    it('an unconnected socket is not told that the port was unreachable (no error); its next datagram goes as before', async () => {
      const gone = await bound('b', 'udp4', 0, env.b.v4);
      const deadPort = gone.address().port;
      gone.close();
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const s = await bound('a', 'udp4', 0, env.a.v4);
      const errors: Error[] = [];
      s.on('error', (e) => errors.push(e));
      r.on('message', (m, rinfo) => r.send(m, rinfo.port, rinfo.address));
      const back = message(s);
      s.send('lost', deadPort, env.b.v4);
      s.send('echo', r.address().port, env.b.v4);
      // the echo comes back after whatever the first datagram caused (one path, in order)
      expect((await back)[0].toString()).toBe('echo');
      expect(errors).toEqual([]);
    });

    it('messages arrive in the order sent', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const s = await bound('a');
      const seen: string[] = [];
      const all = new Promise<void>((resolve) =>
        r.on('message', (m) => {
          seen.push(m.toString());
          if (seen.length === 20) resolve();
        }),
      );
      for (let i = 0; i < 20; i++) s.send(`m${i}`, r.address().port, env.b.v4);
      await all;
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    });
  });

  describe.skipIf(skip !== '')(`connect and disconnect${skip ? ` (skipped: ${skip})` : ''}`, () => {
    it('connect(port, address, cb): connect event, remoteAddress(), send without address, replies only from the peer', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const other = await bound('b', 'udp4', 0, env.b.v4);
      const s = make('a');
      let connected = 0;
      s.on('connect', () => connected++);
      await new Promise<void>((resolve, reject) => s.connect(r.address().port, env.b.v4, (err?: Error) => (err ? reject(err) : resolve())));
      expect(connected).toBe(1);
      expect(s.remoteAddress()).toEqual({ address: env.b.v4, family: 'IPv4', port: r.address().port });
      // bound on connect, to the source address the route gives
      expect(s.address().address).toBe(env.a.v4);
      let got = message(r);
      expect(await sent((cb) => s.send('one', cb))).toEqual([null, 3]);
      expect((await got)[1].port).toBe(s.address().port);
      got = message(r);
      expect(await sent((cb) => s.send(Buffer.from('xtwox'), 1, 3, cb))).toEqual([null, 3]);
      expect((await got)[0].toString()).toBe('two');
      // a datagram from another socket is not for a connected socket; the peer's is
      const back = message(s);
      other.send('intruder', s.address().port, env.a.v4);
      r.send('peer', s.address().port, env.a.v4);
      expect((await back)[0].toString()).toBe('peer');
    });

    it('IPv6: connect, remoteAddress and the source address the route gives', async () => {
      const r = await bound('b', 'udp6', 0, env.b.v6);
      const s = make('a', 'udp6');
      s.connect(r.address().port, env.b.v6);
      await once(s, 'connect');
      expect(s.remoteAddress()).toEqual({ address: env.b.v6, family: 'IPv6', port: r.address().port });
      expect(s.address()).toMatchObject({ address: env.a.v6, family: 'IPv6' });
      const got = message(r);
      s.send('v6');
      expect((await got)[1]).toEqual({ address: env.a.v6, family: 'IPv6', port: s.address().port, size: 2 });
    });

    it('a connected socket refuses an address (ERR_SOCKET_DGRAM_IS_CONNECTED), a second connect too', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const s = make('a');
      s.connect(r.address().port, env.b.v4);
      await once(s, 'connect');
      // (without a callback node takes the port for the callback's place and sends to the peer)
      expect(nodeErr(thrown(() => s.send('x', r.address().port, env.b.v4, () => undefined)))).toEqual({ ctor: 'Error', name: 'Error', code: 'ERR_SOCKET_DGRAM_IS_CONNECTED', message: 'Already connected', text: 'Error [ERR_SOCKET_DGRAM_IS_CONNECTED]: Already connected', keys: ['code'] });
      expect((thrown(() => s.connect(r.address().port, env.b.v4)) as { code: string }).code).toBe('ERR_SOCKET_DGRAM_IS_CONNECTED');
    });

    it('disconnect(): remoteAddress and a second disconnect throw ERR_SOCKET_DGRAM_NOT_CONNECTED; sends need a port again', async () => {
      const r = await bound('b', 'udp4', 0, env.b.v4);
      const s = make('a');
      expect(nodeErr(thrown(() => s.remoteAddress()))).toEqual({ ctor: 'Error', name: 'Error', code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED', message: 'Not connected', text: 'Error [ERR_SOCKET_DGRAM_NOT_CONNECTED]: Not connected', keys: ['code'] });
      s.connect(r.address().port, env.b.v4);
      await once(s, 'connect');
      s.disconnect();
      expect((thrown(() => s.remoteAddress()) as { code: string }).code).toBe('ERR_SOCKET_DGRAM_NOT_CONNECTED');
      expect((thrown(() => s.disconnect()) as { code: string }).code).toBe('ERR_SOCKET_DGRAM_NOT_CONNECTED');
      expect(nodeErr(thrown(() => s.send('x')))).toMatchObject({ ctor: 'RangeError', code: 'ERR_SOCKET_BAD_PORT', message: 'Port should be > 0 and < 65536. Received undefined.' });
      const got = message(r);
      s.send('again', r.address().port, env.b.v4);
      expect((await got)[0].toString()).toBe('again');
    });

    it('connected to a port nobody has: the ICMP port unreachable comes back as error ECONNREFUSED (syscall recvmsg)', async () => {
      const gone = await bound('b', 'udp4', 0, env.b.v4);
      const port = gone.address().port;
      gone.close();
      const s = make('a');
      s.connect(port, env.b.v4);
      await once(s, 'connect');
      const err = once(s, 'error');
      expect(await sent((cb) => s.send('x', cb))).toEqual([null, 1]);
      expect(sysErr((await err)[0])).toEqual({ name: 'Error', message: 'recvmsg ECONNREFUSED', code: 'ECONNREFUSED', errno: -111, syscall: 'recvmsg', address: undefined, port: undefined, keys: ['errno', 'code', 'syscall'] });
    });

    it('connect(0) and a non-string address throw at once', () => {
      const s = make('a');
      expect(nodeErr(thrown(() => s.connect(0)))).toEqual({ ctor: 'RangeError', name: 'RangeError', code: 'ERR_SOCKET_BAD_PORT', message: 'Port should be > 0 and < 65536. Received type number (0).', text: 'RangeError [ERR_SOCKET_BAD_PORT]: Port should be > 0 and < 65536. Received type number (0).', keys: ['code'] });
      expect(nodeErr(thrown(() => s.connect(7, 42 as unknown as string)))).toMatchObject({ ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "address" argument must be of type string. Received type number (42)' });
      expect((thrown(() => s.connect(65536)) as Error).message).toBe('Port should be > 0 and < 65536. Received type number (65536).');
    });
  });

  describe.skipIf(skip !== '')(`argument checks, options and close${skip ? ` (skipped: ${skip})` : ''}`, () => {
    it('send: a bad buffer, list, port, offset, length or address throws node\'s error at once', () => {
      const s = make('a');
      const cases: Array<[() => unknown, Record<string, unknown>]> = [
        [() => s.send(42 as unknown as string, 5000, env.b.v4), { ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "buffer" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type number (42)' }],
        [() => s.send([1] as unknown as string[], 5000, env.b.v4), { ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "buffer list arguments" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received an instance of Array' }],
        [() => s.send('x'), { ctor: 'RangeError', code: 'ERR_SOCKET_BAD_PORT', message: 'Port should be > 0 and < 65536. Received undefined.' }],
        [() => s.send('x', 0, env.b.v4), { ctor: 'RangeError', code: 'ERR_SOCKET_BAD_PORT', message: 'Port should be > 0 and < 65536. Received type number (0).' }],
        [() => s.send('x', 70000, env.b.v4), { ctor: 'RangeError', code: 'ERR_SOCKET_BAD_PORT', message: 'Port should be > 0 and < 65536. Received type number (70000).' }],
        [() => s.send(Buffer.alloc(4), 5, 1, 5000, env.b.v4), { ctor: 'RangeError', code: 'ERR_BUFFER_OUT_OF_BOUNDS', message: '"offset" is outside of buffer bounds' }],
        [() => s.send(Buffer.alloc(4), 1, 4, 5000, env.b.v4), { ctor: 'RangeError', code: 'ERR_BUFFER_OUT_OF_BOUNDS', message: '"length" is outside of buffer bounds' }],
        [() => s.send('x', 5000, 42 as unknown as string), { ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "address" argument must be of type string. Received type number (42)' }],
      ];
      for (const [f, want] of cases) expect(nodeErr(thrown(f))).toMatchObject(want);
    });

    it('createSocket: a bad type or buffer size option throws', () => {
      const c = env.on('a');
      expect(nodeErr(thrown(() => c('udp5' as 'udp4')))).toEqual({ ctor: 'TypeError', name: 'TypeError', code: 'ERR_SOCKET_BAD_TYPE', message: 'Bad socket type specified. Valid types are: udp4, udp6', text: 'TypeError [ERR_SOCKET_BAD_TYPE]: Bad socket type specified. Valid types are: udp4, udp6', keys: ['code'] });
      expect(nodeErr(thrown(() => c({ type: 'udp4', recvBufferSize: -3 })))).toMatchObject({ ctor: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: 'The value of "options.recvBufferSize" is out of range. It must be >= 0 && <= 4294967295. Received -3' });
      expect(nodeErr(thrown(() => c({ type: 'udp4', sendBufferSize: 1.5 })))).toMatchObject({ ctor: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: 'The value of "options.sendBufferSize" is out of range. It must be an integer. Received 1.5' });
      expect(nodeErr(thrown(() => c({ type: 'udp4', recvBufferSize: '9' as unknown as number })))).toMatchObject({ ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "options.recvBufferSize" property must be of type number. Received type string (\'9\')' });
    });

    it('options before bind: EBADF (setTTL, setBroadcast, setMulticastTTL) and ERR_SOCKET_BUFFER_SIZE for buffer sizes', () => {
      const s = make('a');
      expect(sysErr(thrown(() => s.setTTL(5)))).toEqual({ name: 'Error', message: 'setTTL EBADF', code: 'EBADF', errno: -9, syscall: 'setTTL', address: undefined, port: undefined, keys: ['errno', 'code', 'syscall'] });
      expect(sysErr(thrown(() => s.setBroadcast(true)))).toMatchObject({ message: 'setBroadcast EBADF', errno: -9 });
      expect(sysErr(thrown(() => s.setMulticastTTL(3)))).toMatchObject({ message: 'setMulticastTTL EBADF', errno: -9 });
      const e = thrown(() => s.getRecvBufferSize()) as Error & { info: unknown };
      expect(nodeErr(e)).toEqual({
        ctor: 'NodeError',
        name: 'SystemError',
        code: 'ERR_SOCKET_BUFFER_SIZE',
        message: 'Could not get or set buffer size: uv_recv_buffer_size returned EBADF (bad file descriptor)',
        text: 'SystemError [ERR_SOCKET_BUFFER_SIZE]: Could not get or set buffer size: uv_recv_buffer_size returned EBADF (bad file descriptor)',
        keys: ['code', 'info', 'errno', 'syscall'],
      });
      expect(e.info).toEqual({ errno: -9, code: 'EBADF', message: 'bad file descriptor', syscall: 'uv_recv_buffer_size' });
      expect((thrown(() => s.getSendBufferSize()) as Error).message).toBe('Could not get or set buffer size: uv_send_buffer_size returned EBADF (bad file descriptor)');
    });

    it('setTTL: 1..255 (EINVAL outside), a number; setMulticastTTL: 0..255', async () => {
      const s = await bound('a');
      expect(s.setTTL(255)).toBe(255);
      expect(s.setTTL(1)).toBe(1);
      expect(sysErr(thrown(() => s.setTTL(0)))).toMatchObject({ message: 'setTTL EINVAL', code: 'EINVAL', errno: -22, syscall: 'setTTL' });
      expect(sysErr(thrown(() => s.setTTL(256)))).toMatchObject({ message: 'setTTL EINVAL', errno: -22 });
      expect(nodeErr(thrown(() => s.setTTL('5' as unknown as number)))).toMatchObject({ ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "ttl" argument must be of type number. Received type string (\'5\')' });
      expect(sysErr(thrown(() => s.setMulticastTTL(256)))).toMatchObject({ message: 'setMulticastTTL EINVAL', errno: -22 });
    });

    it('receive and send buffer sizes as the kernel keeps them: twice what was set, at least SOCK_MIN_RCVBUF', async () => {
      const s = await bound('a');
      expect(s.getRecvBufferSize()).toBe(env.rmemDefault());
      s.setRecvBufferSize(10000);
      expect(s.getRecvBufferSize()).toBe(20000);
      s.setRecvBufferSize(1);
      expect(s.getRecvBufferSize()).toBe(2304);
      s.setSendBufferSize(10000);
      expect(s.getSendBufferSize()).toBe(20000);
      expect(nodeErr(thrown(() => s.setRecvBufferSize(-1)))).toEqual({ ctor: 'TypeError', name: 'TypeError', code: 'ERR_SOCKET_BAD_BUFFER_SIZE', message: 'Buffer size must be a positive integer', text: 'TypeError [ERR_SOCKET_BAD_BUFFER_SIZE]: Buffer size must be a positive integer', keys: ['code'] });
      // the sizes given at creation apply once bound
      const t = make('a', { type: 'udp4', recvBufferSize: 5000, sendBufferSize: 6000 });
      t.bind(0);
      await once(t, 'listening');
      expect([t.getRecvBufferSize(), t.getSendBufferSize()]).toEqual([10000, 12000]);
    });

    it('close: the close event once, the callback; afterwards ERR_SOCKET_DGRAM_NOT_RUNNING; ref/unref return the socket', async () => {
      const s = await bound('a');
      const port = s.address().port;
      expect(s.unref()).toBe(s);
      expect(s.ref()).toBe(s);
      let closes = 0;
      s.on('close', () => closes++);
      const cb = new Promise<void>((resolve) => s.close(resolve));
      expect(closes).toBe(0);
      await cb;
      expect(closes).toBe(1);
      const notRunning = { ctor: 'Error', name: 'Error', code: 'ERR_SOCKET_DGRAM_NOT_RUNNING', message: 'Not running', text: 'Error [ERR_SOCKET_DGRAM_NOT_RUNNING]: Not running', keys: ['code'] };
      expect(nodeErr(thrown(() => s.close()))).toEqual(notRunning);
      expect(nodeErr(thrown(() => s.address()))).toEqual(notRunning);
      expect(nodeErr(thrown(() => s.send('x', 9, env.b.v4)))).toEqual(notRunning);
      expect(nodeErr(thrown(() => s.bind(0)))).toEqual(notRunning);
      expect(s.ref()).toBe(s);
      // the port is free again
      const t = make('a');
      await new Promise<void>((resolve) => t.bind(port, resolve));
      expect(t.address().port).toBe(port);
    });

    it('an AbortSignal closes the socket; an aborted one closes it at once; Symbol.asyncDispose closes it', async () => {
      const ac = new AbortController();
      const s = make('a', { type: 'udp4', signal: ac.signal });
      s.bind(0);
      await once(s, 'listening');
      const closed = once(s, 'close');
      ac.abort();
      await closed;
      expect((thrown(() => s.address()) as { code: string }).code).toBe('ERR_SOCKET_DGRAM_NOT_RUNNING');
      const t = make('a', { type: 'udp4', signal: AbortSignal.abort() });
      await once(t, 'close');
      expect((thrown(() => t.bind(0)) as { code: string }).code).toBe('ERR_SOCKET_DGRAM_NOT_RUNNING');
      const u = await bound('a');
      await (u as unknown as AsyncDisposable)[Symbol.asyncDispose]();
      expect((thrown(() => u.address()) as { code: string }).code).toBe('ERR_SOCKET_DGRAM_NOT_RUNNING');
      expect(nodeErr(thrown(() => make('a', { type: 'udp4', signal: {} as AbortSignal })))).toMatchObject({ ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('close while the implicit bind of a send is under way: the send is dropped without its callback, close comes after', async () => {
      const s = make('a');
      const events: string[] = [];
      s.on('listening', () => events.push('listening'));
      s.on('close', () => events.push('close'));
      s.send('x', 9, env.b.v4, () => events.push('sent'));
      s.close();
      await once(s, 'close');
      expect(events).toEqual(['listening', 'close']);
    });
  });
});
