// The options of the commands that load an object (prog load|run|attach, map dump|lookup|update with
// OBJ.o, run; the other prog and map commands refuse them: refuseObjectOptions), taken out of the
// command's words in main.ts before the command parses them, so each of these commands accepts them in
// any position (before a `--`):
//
//   --max-memory SIZE      the ceiling of the data path's memory: bytes, or a number with K, M or G
//                          (KiB, MiB, GiB), e.g. 512M or 4G; wasm32's 4 GiB at most. Maps and tables
//                          past it fail with ENOMEM naming the limit and the map.
//   --max-entries MAP=N    max_entries of MAP before it is created (libbpf's bpf_map__set_max_entries)
//   --global VAR=VALUE     a global variable (.rodata, .data, .bss) before load, as a skeleton sets it.
//                          VALUE: an integer (decimal or 0x hex), JSON (arrays, objects, true, "text"),
//                          else the word itself (an enumerator name, a char array's text).
//   --kconfig FILE         CONFIG_* values of `extern … __kconfig` variables, as a kernel .config's lines
//
// Objects written for a loader that sets these (xdp-tools' xdp-bench: max_entries 0 and
// `const volatile int nr_cpus = 0` until its loader sets them) load with them as they do there.

import { readFileSync } from 'node:fs';
import { WxdpError } from '../errors.js';
import type { ObjectConfig } from '../elf/configure.js';

let maxMemory: number | undefined;
const maxEntries: Record<string, number> = {};
const globals: Record<string, unknown> = {};
let kconfig: string | undefined;

/** The --max-memory of this command line (bytes), or undefined for the default (4 GiB). */
export function cliMaxMemory(): number | undefined {
  return maxMemory;
}

/**
 * Refuse the object options on a command that loads nothing with them (`cmd`; `allowed`: those it
 * does take), rather than ignore them.
 */
export function refuseObjectOptions(cmd: string, allowed: readonly string[] = []): void {
  const given = [
    ...(maxMemory !== undefined ? ['--max-memory'] : []),
    ...(Object.keys(maxEntries).length ? ['--max-entries'] : []),
    ...(Object.keys(globals).length ? ['--global'] : []),
    ...(kconfig !== undefined ? ['--kconfig'] : []),
  ].filter((o) => !allowed.includes(o));
  if (given.length) throw new WxdpError('USAGE', `${cmd} loads no object here: ${given.join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply`);
}

/** The --max-entries, --global and --kconfig settings of this command line, for loadObject. */
export function cliObjectConfig(): ObjectConfig & { kconfig?: string } {
  return {
    ...(Object.keys(maxEntries).length ? { maxEntries: { ...maxEntries } } : {}),
    ...(Object.keys(globals).length ? { globals: { ...globals } } : {}),
    ...(kconfig !== undefined ? { kconfig } : {}),
  };
}

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 };

/** A size word: bytes, or a number with K, M or G. */
export function parseSize(text: string, what: string): number {
  const m = /^([0-9]+)([KMG]?)(?:i?B)?$/i.exec(text);
  if (!m) throw new WxdpError('USAGE', `${what}: '${text}' is not a size (bytes, or a number with K, M or G)`);
  return Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
}

/** NAME=VALUE of an option, split at the first '='. */
function assignment(option: string, text: string, what: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new WxdpError('USAGE', `${option}: '${text}' is not ${what}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** A --global VALUE: an integer as a bigint (any width), JSON, else the word as a string. */
export function parseGlobalValue(text: string): unknown {
  if (/^-?(0x[0-9a-f]+|[0-9]+)$/i.test(text)) return text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** --kconfig FILE → the file's text. */
export function readKconfigOption(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new WxdpError('USAGE', `--kconfig: cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** --max-entries MAP=N → [MAP, N]. */
export function parseMaxEntriesOption(v: string): [string, number] {
  const [map, n] = assignment('--max-entries', v, 'MAP=N');
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(n) || Number(n) > 0xffff_ffff) throw new WxdpError('USAGE', `--max-entries ${v}: '${n}' is not a u32`);
  return [map, Number(n)];
}

/** --global VAR=VALUE → [VAR, value]. */
export function parseGlobalOption(v: string): [string, unknown] {
  const [name, value] = assignment('--global', v, 'VAR=VALUE');
  return [name, parseGlobalValue(value)];
}

const OPTIONS: Readonly<Record<string, (value: string) => void>> = {
  '--max-memory': (v) => {
    maxMemory = parseSize(v, '--max-memory');
  },
  '--max-entries': (v) => {
    const [map, n] = parseMaxEntriesOption(v);
    maxEntries[map] = n;
  },
  '--global': (v) => {
    const [name, value] = parseGlobalOption(v);
    globals[name] = value;
  },
  '--kconfig': (v) => {
    kconfig = readKconfigOption(v);
  },
};

const NEEDS: Readonly<Record<string, string>> = {
  '--max-memory': 'a size (bytes, or a number with K, M or G)',
  '--max-entries': 'MAP=N',
  '--global': 'VAR=VALUE',
  '--kconfig': 'a file of CONFIG_NAME=VALUE lines',
};

/** Remove the object options (OPTION VALUE or OPTION=VALUE) from `words` before a `--`, remembering them. */
export function takeObjectOptions(words: readonly string[]): string[] {
  // One command line's options: main() may run several in one process (tests, the control socket).
  maxMemory = undefined;
  for (const k of Object.keys(maxEntries)) delete maxEntries[k];
  for (const k of Object.keys(globals)) delete globals[k];
  kconfig = undefined;
  const out: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') break;
    const eq = w.indexOf('=');
    const name = eq > 0 ? w.slice(0, eq) : w;
    const apply = OPTIONS[name];
    if (!apply) {
      out.push(w);
      continue;
    }
    const v = eq > 0 ? w.slice(eq + 1) : words[++i];
    if (v === undefined) throw new WxdpError('USAGE', `${name} needs ${NEEDS[name]}`);
    apply(v);
  }
  return [...out, ...words.slice(i)];
}
