// The running kernel as the reference for map semantics, through bpftool: create a pinned map, run
// update / lookup / delete / getnext / push / pop on it, and read back the errno the kernel gave.
// Available when root, bpftool is installed and bpffs is mounted (and WXDP_NO_KERNEL is not set);
// each test file removes its pins.

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { Errno } from '../../src/maps/uapi.js';

const PIN_DIR = process.env['WXDP_BPFFS'] ?? '/sys/fs/bpf';

function probe(): string | undefined {
  if (process.env['WXDP_NO_KERNEL']) return 'WXDP_NO_KERNEL is set';
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('bpftool', ['version'], { encoding: 'utf8' }).status !== 0) return 'bpftool is not installed';
  if (!existsSync(PIN_DIR)) return `no bpffs at ${PIN_DIR}`;
  const pin = `${PIN_DIR}/wxdp_maps_probe_${process.pid}`;
  const r = spawnSync('bpftool', ['map', 'create', pin, 'type', 'array', 'key', '4', 'value', '4', 'entries', '1', 'name', 'probe'], { encoding: 'utf8' });
  rmSync(pin, { force: true });
  return r.status === 0 ? undefined : `bpftool map create fails: ${r.stderr.trim()}`;
}

export const kernelSkipReason: string | undefined = probe();
export const haveKernel = kernelSkipReason === undefined;

// strerror() texts bpftool prints, back to errno.
const STRERROR: Record<string, number> = {
  'No such file or directory': Errno.ENOENT,
  'Argument list too long': Errno.E2BIG,
  'File exists': Errno.EEXIST,
  'Invalid argument': Errno.EINVAL,
  'No space left on device': Errno.ENOSPC,
  'Cannot allocate memory': Errno.ENOMEM,
  'Unknown error 524': Errno.ENOTSUPP,
  'Operation not supported': Errno.EOPNOTSUPP,
  'Bad file descriptor': Errno.EBADF,
  'Device or resource busy': Errno.EBUSY,
  'empty map': Errno.ENOENT,
};

export interface ToolResult {
  /** 0, or the positive errno the kernel returned. */
  errno: number;
  json: unknown;
  stderr: string;
}

function run(args: string[]): ToolResult {
  const r = spawnSync('bpftool', ['-j', ...args], { encoding: 'utf8' });
  if (r.status === 0) return { errno: 0, json: r.stdout.trim() ? JSON.parse(r.stdout) : null, stderr: r.stderr };
  // With -j errors come as {"error": "..."} on stdout.
  let msg = r.stderr;
  try {
    msg = (JSON.parse(r.stdout) as { error?: string } | null)?.error ?? r.stderr;
  } catch {
    // plain text
  }
  // bpftool -j reports "not found" (lookup) and "empty map" (pop) as a bare null.
  if (r.stdout.trim() === 'null' && !msg.trim()) return { errno: Errno.ENOENT, json: null, stderr: '' };
  const known = Object.entries(STRERROR).find(([text]) => msg.includes(text));
  if (!known) throw new Error(`bpftool ${args.join(' ')}: unrecognised failure: ${msg} ${r.stderr}`);
  return { errno: known[1], json: null, stderr: msg };
}

const hex = (b: Uint8Array): string[] => ['hex', ...Array.from(b, (x) => x.toString(16).padStart(2, '0'))];
const fromJson = (a: unknown): Uint8Array => Uint8Array.from((a as string[]).map((s) => parseInt(s, 16)));

let serial = 0;

/** A map in the kernel, pinned under bpffs; close() unpins (and so frees) it. */
export class KernelMap {
  readonly pin: string;
  private constructor(pin: string) {
    this.pin = pin;
  }

  /** BPF_MAP_CREATE through bpftool: the map, or the errno. */
  static create(type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0): KernelMap | number {
    const pin = `${PIN_DIR}/wxdp_maps_${process.pid}_${serial++}`;
    const r = run(['map', 'create', pin, 'type', type, 'key', String(keySize), 'value', String(valueSize), 'entries',
      String(maxEntries), 'name', 'wxdp_t', 'flags', String(flags)]);
    if (r.errno !== 0) return r.errno;
    return new KernelMap(pin);
  }

  static must(type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0): KernelMap {
    const m = KernelMap.create(type, keySize, valueSize, maxEntries, flags);
    if (typeof m === 'number') throw new Error(`kernel refused ${type} map: errno ${m}`);
    return m;
  }

  update(key: Uint8Array, value: Uint8Array, flags: 'any' | 'noexist' | 'exist' = 'any'): number {
    return run(['map', 'update', 'pinned', this.pin, 'key', ...hex(key), 'value', ...hex(value), flags]).errno;
  }

  delete(key: Uint8Array): number {
    return run(['map', 'delete', 'pinned', this.pin, 'key', ...hex(key)]).errno;
  }

  lookup(key: Uint8Array): Uint8Array | number {
    const r = run(['map', 'lookup', 'pinned', this.pin, 'key', ...hex(key)]);
    if (r.errno !== 0) return r.errno;
    const j = r.json as { value?: string[]; values?: { value: string[] }[] };
    return fromJson(j.value ?? j.values?.[0]?.value);
  }

  getNext(key: Uint8Array | null): Uint8Array | number {
    const r = run(['map', 'getnext', 'pinned', this.pin, ...(key ? ['key', ...hex(key)] : [])]);
    if (r.errno !== 0) return r.errno;
    return fromJson((r.json as { next_key: string[] }).next_key);
  }

  /** Keys in the kernel's get_next_key order. */
  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let k: Uint8Array | null = null;
    for (;;) {
      const n = this.getNext(k);
      if (typeof n === 'number') return out;
      out.push(n);
      k = n;
    }
  }

  /** A push on a queue or stack: `bpftool map update` without a key passes the flags through. */
  push(value: Uint8Array, flags: 'any' | 'exist' = 'any'): number {
    return run(['map', 'update', 'pinned', this.pin, 'value', ...hex(value), flags]).errno;
  }

  pop(): Uint8Array | number {
    const r = run(['map', 'pop', 'pinned', this.pin]);
    return r.errno !== 0 ? r.errno : fromJson((r.json as { value: string[] }).value);
  }

  show(): { flags: number; max_entries: number } {
    return run(['map', 'show', 'pinned', this.pin]).json as { flags: number; max_entries: number };
  }

  close(): void {
    rmSync(this.pin, { force: true });
  }
}
