// The on-disk cache of verified and compiled programs (as ccache is for a compiler): a CLI command, the
// conformance plugin or a test process that loads a program it has loaded before finds the verifier's
// verdict and the JIT's wasm bytes here, and neither verifies nor loads binaryen again.
//
// Where: $WXDP_CACHE_DIR, else $XDG_CACHE_HOME/wxdp, else ~/.cache/wxdp; one file per entry in
// <dir>/v1/. An entry's name is the sha256 of its namespace ('verify', 'jit'), its key (the program's
// content and every option that changes the result) and the engine's identity (the hash of the
// verifier's, JIT's, ISA's, helpers' and runtime's own source files, so an upgraded or edited wxdp never
// reads what an older one wrote).
//
//   entry file:  "WXDPCACH" │ u32 format │ u32 payload length │ sha256(payload), 32 bytes │ payload
//
// Safe under concurrent processes: an entry is written to a temporary file of the writer's own and
// renamed into place (rename is atomic within a directory), so a reader sees a whole entry or none; two
// writers of one key write the same bytes. A file that fails its checksum (a torn disk, a hand edit) is a
// miss, and the next put of that key replaces it. Hits refresh the file's mtime; when a put takes the
// directory past its size limit ($WXDP_CACHE_SIZE, default 256 MiB), the least recently used entries go
// until it is at nine tenths of it, as ccache cleans up (the size is learnt by a scan at a process's first
// put and kept up to date with its own writes, so the next scan comes after a tenth of the limit is
// written: a directory kept at its limit is not scanned again on every put).
// Any I/O failure (read-only home, full disk) makes the cache a no-op: it never fails a load.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAGIC = Buffer.from('WXDPCACH', 'latin1');
const FORMAT = 1;
const HEADER = MAGIC.length + 4 + 4 + 32;
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export interface ProgramCacheOptions {
  /** false: neither read nor write (`--no-cache`, WXDP_NO_CACHE=1). */
  enabled?: boolean;
  dir?: string;
  /** Size limit of the directory's entries; the least recently used go first. */
  maxBytes?: number;
}

/** The default directory: $WXDP_CACHE_DIR, $XDG_CACHE_HOME/wxdp or ~/.cache/wxdp. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['WXDP_CACHE_DIR']) return env['WXDP_CACHE_DIR'];
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'wxdp');
}

/** "512M", "2G", "65536": a size in bytes (K/M/G are binary). */
export function parseCacheSize(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$/i.exec(s);
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * mult);
}

export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
  /** Entries found damaged and ignored. */
  corrupt: number;
  evicted: number;
  /** Scans of the directory (readdir and a stat per entry) for its size. */
  scans: number;
}

/** What a cleanup leaves of the limit: the next one waits for a tenth of it to be written. */
const LOW_WATER = 0.9;

export class ProgramCache {
  readonly enabled: boolean;
  readonly dir: string;
  readonly maxBytes: number;
  readonly stats: CacheStats = { hits: 0, misses: 0, writes: 0, corrupt: 0, evicted: 0, scans: 0 };
  private readonly entries: string;
  private broken = false;
  /**
   * The directory's size as of this process's last scan plus what it wrote since: a scan (a stat per
   * entry) runs on the first put and then only when this passes the limit.
   */
  private knownBytes: number | undefined;

  constructor(opts: ProgramCacheOptions = {}) {
    const env = process.env;
    this.enabled = opts.enabled ?? !(env['WXDP_NO_CACHE'] && env['WXDP_NO_CACHE'] !== '0');
    this.dir = opts.dir ?? defaultCacheDir(env);
    this.maxBytes = opts.maxBytes ?? parseCacheSize(env['WXDP_CACHE_SIZE'] ?? '') ?? DEFAULT_CACHE_BYTES;
    this.entries = join(this.dir, `v${FORMAT}`);
  }

  /** The file an entry of `namespace` and `key` lives in. */
  pathOf(namespace: string, key: string | Uint8Array): string {
    const h = createHash('sha256');
    h.update(engineIdentity());
    h.update('\0' + namespace + '\0');
    h.update(key);
    return join(this.entries, h.digest('hex') + '.bin');
  }

  get(namespace: string, key: string | Uint8Array): Buffer | undefined {
    if (!this.enabled || this.broken) return undefined;
    const path = this.pathOf(namespace, key);
    let file: Buffer;
    try {
      file = readFileSync(path);
    } catch {
      this.stats.misses++;
      return undefined;
    }
    const payload = unwrap(file);
    if (!payload) {
      this.stats.corrupt++;
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // Evicted by another process meanwhile: the bytes read are still whole.
    }
    return payload;
  }

  put(namespace: string, key: string | Uint8Array, payload: Uint8Array): void {
    if (!this.enabled || this.broken) return;
    const path = this.pathOf(namespace, key);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const file = wrap(payload);
    try {
      mkdirSync(this.entries, { recursive: true });
      writeFileSync(tmp, file);
      renameSync(tmp, path);
      this.stats.writes++;
    } catch {
      this.broken = true;
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
      return;
    }
    if (this.knownBytes !== undefined) this.knownBytes += file.length;
    if (this.knownBytes === undefined || this.knownBytes > this.maxBytes) this.evict();
  }

  /** Past maxBytes, drop the least recently used entries until the total is within nine tenths of it. */
  evict(): void {
    this.stats.scans++;
    let names: string[];
    try {
      names = readdirSync(this.entries);
    } catch {
      return;
    }
    const files: { path: string; size: number; mtime: number }[] = [];
    let total = 0;
    for (const n of names) {
      const path = join(this.entries, n);
      try {
        const s = statSync(path);
        // Another writer's temporary file counts once it is renamed; a stale one (a killed writer) goes.
        if (n.endsWith('.tmp')) {
          if (Date.now() - s.mtimeMs > 60_000) unlinkSync(path);
          continue;
        }
        files.push({ path, size: s.size, mtime: s.mtimeMs });
        total += s.size;
      } catch {
        // removed by another process between readdir and stat
      }
    }
    if (total > this.maxBytes) {
      const low = Math.floor(this.maxBytes * LOW_WATER);
      files.sort((a, b) => a.mtime - b.mtime);
      for (const f of files) {
        if (total <= low) break;
        try {
          unlinkSync(f.path);
          this.stats.evicted++;
        } catch {
          // another process evicted it first
        }
        total -= f.size;
      }
    }
    this.knownBytes = total;
  }
}

function wrap(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(FORMAT, 8);
  head.writeUInt32LE(payload.length, 12);
  createHash('sha256').update(payload).digest().copy(head, 16);
  return Buffer.concat([head, payload]);
}

function unwrap(file: Buffer): Buffer | undefined {
  if (file.length < HEADER || !file.subarray(0, 8).equals(MAGIC) || file.readUInt32LE(8) !== FORMAT) return undefined;
  const len = file.readUInt32LE(12);
  if (file.length !== HEADER + len) return undefined;
  const payload = file.subarray(HEADER);
  if (!createHash('sha256').update(payload).digest().equals(file.subarray(16, 48))) return undefined;
  return payload;
}

let identity: string | undefined;

/**
 * What the cached results were computed by: the hash of the source (or compiled .js) files of the
 * modules whose code decides a verdict or a wasm module. Read once per process (~50 files).
 */
export function engineIdentity(): string {
  if (identity !== undefined) return identity;
  const h = createHash('sha256');
  const src = dirname(dirname(fileURLToPath(import.meta.url)));
  for (const sub of ['verifier', 'jit', 'isa', 'helpers', 'runtime', 'cache']) {
    let names: string[] = [];
    try {
      names = readdirSync(join(src, sub)).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      if (!(n.endsWith('.js') || n.endsWith('.ts')) || n.endsWith('.d.ts')) continue;
      h.update(`${sub}/${n}\0`);
      try {
        h.update(readFileSync(join(src, sub, n)));
      } catch {
        // unreadable: its name still counts
      }
    }
  }
  identity = h.digest('hex');
  return identity;
}

let current: ProgramCache | undefined;

/** The process's cache (configured from the environment unless configureProgramCache said otherwise). */
export function programCache(): ProgramCache {
  current ??= new ProgramCache();
  return current;
}

/** Replace the process's cache: `{ enabled: false }` is `--no-cache`; tests point `dir` elsewhere. */
export function configureProgramCache(opts: ProgramCacheOptions): ProgramCache {
  current = new ProgramCache(opts);
  return current;
}
