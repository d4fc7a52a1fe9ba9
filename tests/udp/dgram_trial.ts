// The record a dgram scenario leaves (dgram_node.test.ts, dgram_compat.test.ts): a scenario writes down what a
// program sees — events in order, return values, errors thrown and emitted with the fields programs read —
// and wxdp's record must equal node's, taken in the same run. Each environment's addresses and the ports a
// scenario learns are written as names (<v4>, <v6>, <P>…), so the two records compare; on node's loopback
// host a and b are one host.

import type * as dgram from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import type { Env, Sock } from './dgram_envs.js';

export type SocketType = 'udp4' | 'udp6' | dgram.SocketOptions;

/** What an error shows a program: its class, name, code, message and the fields node sets. */
export function errorShape(e: Error): Record<string, unknown> {
  const x = e as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { error: e.constructor.name, name: e.name, message: e.message, text: String(e), keys: Object.keys(e) };
  for (const k of ['code', 'errno', 'syscall', 'address', 'port', 'info']) if (k in x) out[k] = x[k];
  return out;
}

/** One run of a scenario in one environment: the sockets it made, the names it gave, what it saw. */
export class Trial {
  readonly log: unknown[] = [];
  private readonly open: Sock[] = [];
  private readonly names: Array<[string, string]>;
  private readonly ports = new Map<number, string>();

  constructor(readonly env: Env) {
    const ll = env.linkLocal();
    // (longer texts first: 192.0.2.255 before 192.0.2.2)
    this.names = [
      [env.broadcast4, '<broadcast>'],
      [env.a.v4, '<v4>'],
      [env.b.v4, '<v4>'],
      [env.a.v6, '<v6>'],
      [env.b.v6, '<v6>'],
      ...(ll ? ([[ll.a, '<ll>'], [ll.b, '<ll>'], [`%${ll.ifname}`, '%<if>']] as Array<[string, string]>) : []),
    ];
  }

  get a(): Env['a'] {
    return this.env.a;
  }

  get b(): Env['b'] {
    return this.env.b;
  }

  make(host: 'a' | 'b', type: SocketType = 'udp4', listener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void): Sock {
    const s = this.env.on(host)(type, listener);
    this.open.push(s);
    // every port a socket listens on gets a name, in the order they come
    s.on('listening', () => {
      const { port } = s.address();
      if (!this.ports.has(port)) this.port(port, `port ${this.ports.size}`);
    });
    return s;
  }

  async bound(host: 'a' | 'b', type: SocketType = 'udp4', address?: string, portName?: string): Promise<Sock> {
    const s = this.make(host, type);
    s.bind(0, address);
    await once(s, 'listening');
    if (portName) this.port(s.address().port, portName);
    return s;
  }

  /** Write `port` as `<name>` in the record. */
  port(port: number, name: string): number {
    this.ports.set(port, `<${name}>`);
    return port;
  }

  rec(what: string, value?: unknown): void {
    this.log.push(arguments.length > 1 ? [what, value] : what);
  }

  /** Record what f returns, or what it throws. */
  call(what: string, f: () => unknown): void {
    try {
      const r = f();
      this.rec(what, r instanceof EventEmitter ? (this.open.includes(r as Sock) ? 'a socket' : 'an emitter') : r);
    } catch (e) {
      this.rec(`${what} throws`, e);
    }
  }

  /** Record a socket's events (message: its text and rinfo) as they come. */
  watch(s: Sock, name: string, events = ['listening', 'connect', 'message', 'error', 'close']): void {
    for (const ev of events) {
      if (ev === 'message') s.on('message', (m: Buffer, rinfo: dgram.RemoteInfo) => this.rec(`${name} message`, [m.toString(), rinfo]));
      else s.on(ev, (...args: unknown[]) => this.rec(`${name} ${ev}`, args.length ? args[0] : undefined));
    }
  }

  /** A callback that records its arguments (and whether it ran within the call that took it). */
  cb(what: string): (...args: unknown[]) => void {
    return (...args: unknown[]) => this.rec(what, args);
  }

  /** Let datagrams travel and events fire (wxdp's pollers, the kernel's loopback). */
  async idle(ms = 60): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Until the socket is bound or its bind failed: 'listening' or the error. */
  async bindOutcome(s: Sock): Promise<unknown> {
    return await new Promise((resolve) => {
      const done = (v: unknown) => {
        s.removeListener('listening', onListening);
        s.removeListener('error', done);
        resolve(v);
      };
      const onListening = () => done('listening');
      s.on('listening', onListening);
      s.on('error', done);
    });
  }

  /** Until `event` on `s` (recorded by a watch, if any), at most 5 s. */
  async until(s: EventEmitter, event: string): Promise<unknown[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no '${event}' within 5 s`)), 5000);
    });
    try {
      return await Promise.race([once(s, event), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    for (const s of this.open.splice(0)) {
      try {
        s.close();
      } catch {
        // closed by the scenario
      }
    }
  }

  /** The record with errors as their shapes, Buffers as bytes, and addresses and ports as names. */
  record(): unknown {
    const text = (s: string): string => {
      for (const [k, v] of this.names) s = s.split(k).join(v);
      for (const [p, v] of this.ports) s = s.replace(new RegExp(`\\b${p}\\b`, 'g'), v);
      return s;
    };
    const walk = (v: unknown): unknown => {
      if (v instanceof Error) return walk(errorShape(v));
      if (Buffer.isBuffer(v)) return { bytes: [...v] };
      if (typeof v === 'string') return text(v);
      if (typeof v === 'number') return this.ports.get(v) ?? v;
      if (typeof v === 'bigint' || typeof v === 'symbol' || typeof v === 'function') return String(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(this.log);
  }
}

export type Scenario = (t: Trial) => Promise<void>;

/** The scenario's record in one environment. */
export async function trial(env: Env, scenario: Scenario): Promise<unknown> {
  const t = new Trial(env);
  try {
    await scenario(t);
  } finally {
    t.close();
  }
  // close events of the sockets closed above go to nobody; let them pass before the next trial
  await new Promise((resolve) => setImmediate(resolve));
  return t.record();
}

