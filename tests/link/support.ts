// What the link tests share: an underlay between this process (the root namespace, where wxdp's socket
// lives) and a namespace holding the Linux end of a tunnel, and running programs there without blocking
// the event loop (wxdp answers from this process while `ping` waits).
//
//   this process (root netns)                         namespace wx-links-<pid>-<n>
//   wxdp socket ── HOST (198.51.100.<4k+1>/30) ══ veth ══ c0 (198.51.100.<4k+2>/30) ── vxlan/geneve dev
//
// HOST is created here with its peer moved into the namespace, so deleting the namespace (afterAll, or
// the next run's stale sweep when this one was killed) removes both ends.

import { execFile, spawnSync } from 'node:child_process';
import type { Namespaces, Netns } from '../support/netns.js';

export interface Underlay {
  ns: Netns;
  /** The root-namespace end of the veth, and its address (wxdp's socket binds it). */
  hostIf: string;
  hostAddr: string;
  /** The namespace's end (c0). */
  nsAddr: string;
}

let serial = 0;

/** A namespace with a veth underlay to this one; `slot` (0..63) picks the /30 so files running at once differ. */
export function underlay(set: Namespaces, slot: number): Underlay {
  const ns = set.create();
  const hostIf = `wxl${process.pid % 100000}h${serial++}`;
  const base = slot * 4;
  const hostAddr = `198.51.100.${base + 1}`;
  const nsAddr = `198.51.100.${base + 2}`;
  const ip = (...args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  };
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'c0', 'netns', ns.name);
  ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
  ip('link', 'set', hostIf, 'up');
  ns.ip('addr', 'add', `${nsAddr}/30`, 'dev', 'c0');
  ns.ip('link', 'set', 'c0', 'up');
  return { ns, hostIf, hostAddr, nsAddr };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `argv` in `ns` asynchronously (the event loop keeps turning), killed after `timeoutMs`. */
export function runIn(ns: Netns, argv: readonly string[], timeoutMs = 15_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns.name, ...argv], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException & { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : err ? -1 : 0, stdout, stderr });
    });
  });
}

/** '' when `tool` runs, else why not (the Debian package to install). */
export function toolMissing(tool: string, pkg: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${tool} not found (install ${pkg})`;
}

/** '' when this kernel makes a `kind` device (vxlan, geneve), else why not: tried in a namespace of `set`. */
export function tunnelMissing(set: Namespaces, kind: 'vxlan' | 'geneve'): string {
  const ns = set.create();
  const r = spawnSync('ip', ['-n', ns.name, 'link', 'add', 'probe0', 'type', kind, 'id', '1', 'remote', '192.0.2.9', ...(kind === 'vxlan' ? ['dstport', '4789'] : [])], { encoding: 'utf8' });
  return r.status === 0 ? '' : `this kernel makes no ${kind} device (ip link add … type ${kind}: ${r.stderr.trim()})`;
}
