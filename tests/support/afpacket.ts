// AF_PACKET from tests: Node has no packet sockets, so tests/support/afpacket.py (python3, standard
// library only) sends raw frames on interfaces of a namespace and captures what its interfaces
// receive, for bounded windows, and this wrapper speaks to it in bytes:
//
//   const [r] = afpacket(wire, [{ send: [{ ifname: 'w0', frame }], capture: ['w0', 'w1'], windowMs: 150 }]);
//   r.frames['w1']   // Uint8Array[]: what arrived on w1 during the window
//
// One python process runs every round given (its capture sockets stay open between rounds, so a
// late frame shows up as the next round's `stray`, never lost).

import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../../src/oracle/netns.js';

const SCRIPT = fileURLToPath(new URL('./afpacket.py', import.meta.url));

export interface AfSend {
  ifname: string;
  frame: Uint8Array;
}

export interface AfRound {
  send: AfSend[];
  /** Interfaces to capture on (every round's are opened at the start and read in every round). */
  capture: string[];
  /** How long to capture after sending (default 150 ms, at most 10 s). */
  windowMs?: number;
  /** Stop early after this many frames (default 64). */
  maxFrames?: number;
}

export interface AfRoundResult {
  /** Frames received per interface during the window, in arrival order. */
  frames: Record<string, Uint8Array[]>;
  /** Frames that were waiting before the round sent (an earlier round's late output, kernel noise). */
  stray: Record<string, Uint8Array[]>;
  sent: number;
  /** The round stopped at maxFrames. */
  full: boolean;
  /** When it sent: CLOCK_MONOTONIC seconds (one clock for every namespace and process). */
  at: number;
}

export interface AfResult {
  /** With `settle`: what arrived before the first round, and whether the wire went quiet. */
  settle?: { frames: Record<string, Uint8Array[]>; quiet: boolean };
  rounds: AfRoundResult[];
}

export interface AfOptions {
  /** First read until nothing arrives for quietMs (at most maxMs): wait out link-up noise. */
  settle?: { quietMs: number; maxMs: number };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhexAll = (m: Record<string, string[]> | undefined): Record<string, Uint8Array[]> =>
  Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, v.map((h) => new Uint8Array(Buffer.from(h, 'hex')))]));

/** The python interpreter (PYTHON, else python3), or a reason it is unusable. */
export function pythonAvailability(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync(process.env['PYTHON'] ?? 'python3', ['-c', 'import socket; socket.AF_PACKET'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, reason: `python3 with AF_PACKET not usable: ${r.error?.message ?? r.stderr.trim()}` };
  return { ok: true };
}

function specOf(rounds: readonly AfRound[], opts: AfOptions) {
  return {
    ...(opts.settle ? { settle: opts.settle } : {}),
    rounds: rounds.map((r) => ({
      send: r.send.map((s) => ({ ifname: s.ifname, hex: hex(s.frame) })),
      capture: r.capture,
      windowMs: r.windowMs ?? 150,
      maxFrames: r.maxFrames ?? 64,
    })),
  };
}

function resultOf(out: string): AfResult {
  const j = JSON.parse(out) as {
    settle?: { frames: Record<string, string[]>; quiet: boolean };
    rounds: Array<{ frames: Record<string, string[]>; stray: Record<string, string[]>; sent: number; full: boolean; at: number }>;
  };
  return {
    ...(j.settle ? { settle: { frames: unhexAll(j.settle.frames), quiet: j.settle.quiet } } : {}),
    rounds: j.rounds.map((r) => ({ frames: unhexAll(r.frames), stray: unhexAll(r.stray), sent: r.sent, full: r.full, at: r.at })),
  };
}

/**
 * The script bounds itself; this bound only catches a wedged interpreter. WXDP_AFPACKET_SLACK_MS adds to
 * its 10 s of slack: a long fuzz run at nice 19 on a loaded machine (load 20+) saw Python's start alone
 * pass it (ETIMEDOUT, no disagreement).
 */
const budgetOf = (spec: ReturnType<typeof specOf>, opts: AfOptions): number =>
  10_000 + Number(process.env['WXDP_AFPACKET_SLACK_MS'] ?? 0) + (opts.settle?.maxMs ?? 0) + spec.rounds.reduce((t, r) => t + r.windowMs + 50, 0);

/** Run rounds of send-then-capture inside `ns` (its interfaces). */
export function afpacket(ns: Netns, rounds: readonly AfRound[], opts: AfOptions = {}): AfResult {
  const spec = specOf(rounds, opts);
  return resultOf(ns.exec([process.env['PYTHON'] ?? 'python3', SCRIPT, '--json'], { input: JSON.stringify(spec), timeoutMs: budgetOf(spec, opts) }));
}

/**
 * The same rounds in the background: the promise settles when the script is done, while the caller
 * looks at the namespace in the meantime (`ip neigh` between a kernel's timer events, say) without a
 * gap in the capture.
 */
export function afpacketAsync(ns: Netns, rounds: readonly AfRound[], opts: AfOptions = {}): Promise<AfResult> {
  const spec = specOf(rounds, opts);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.env['PYTHON'] ?? 'python3', SCRIPT, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), budgetOf(spec, opts));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`afpacket.py in ${ns.name} exited ${code}: ${err.trim()}`));
      else resolve(resultOf(out));
    });
    child.stdin.end(JSON.stringify(spec));
  });
}
