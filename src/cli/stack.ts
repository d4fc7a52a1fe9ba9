// Configuring the stack from the command line before a run: `--sysctl NAME=VALUE`, `--ip-batch
// FILE` and `--nft FILE` (each repeatable), applied in the order given, so a `--sysctl
// net.ipv4.conf.default.X=…` written before a batch reaches the links the batch creates, and an nft
// file after a batch can name its devices. Used by `wxdp run`, `wxdp prog run`
// and `wxdp ip`.

import { readFileSync } from 'node:fs';
import type { Datapath } from '../control/datapath.js';
import { ipBatch, IpError, type IpBatchOptions } from '../control/ip/index.js';
import { NetError } from '../control/net_types.js';
import type { ScanOptions } from '../control/nft_scan.js';
import type { SysctlValue } from '../control/sysctl.js';
import { WxdpError } from '../errors.js';

export interface StackStep {
  kind: 'sysctl' | 'batch' | 'nft';
  arg: string;
}

export interface StackSummary {
  batches: Array<{ file: string; commands: number }>;
  sysctls: Record<string, SysctlValue>;
  /** nft files applied (`nft -f`), each one transaction. */
  nft?: string[];
}

/** The text of a batch file ("-" is stdin, as for ip -batch). */
export function readBatch(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new WxdpError('USAGE', `cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Before anything is loaded: every --ip-batch file can be read and every --sysctl is NAME=VALUE (stdin is read once, later). */
export function checkStackFiles(steps: readonly StackStep[]): void {
  for (const s of steps) {
    if (s.kind === 'sysctl') sysctlArg(s.arg);
    else if (s.arg !== '-') readBatch(s.arg);
  }
}

/** The steps of --sysctl / --ip-batch / --nft options (option name, value), in the order given. */
export function stackSteps(opts: ReadonlyArray<readonly [string, string | undefined]>): StackStep[] {
  const kinds: Record<string, StackStep['kind']> = { sysctl: 'sysctl', 'ip-batch': 'batch', nft: 'nft' };
  return opts.flatMap(([name, arg]) => (kinds[name] !== undefined && arg !== undefined ? [{ kind: kinds[name]!, arg }] : []));
}

/** NAME=VALUE of --sysctl, split at the first '='. */
export function sysctlArg(arg: string): [string, string] {
  const at = arg.indexOf('=');
  if (at <= 0) throw new WxdpError('USAGE', `--sysctl takes NAME=VALUE, not '${arg}'`);
  return [arg.slice(0, at), arg.slice(at + 1)];
}

/**
 * A progress bar on stderr for a long batch (over 10,000 lines) when stderr is a terminal: the
 * loading of a full routing table takes a while.
 */
export function progressBar(file: string, text: string, write: (s: string) => void): { onProgress?: (done: number, total: number) => void } {
  if (!process.stderr.isTTY || text.length < 200_000 || text.split('\n', 10_001).length <= 10_000) return {};
  const t0 = performance.now();
  return {
    onProgress: (done, total) => {
      const pct = Math.floor((done / total) * 100);
      const bar = '#'.repeat(Math.floor(pct / 4)).padEnd(25, '.');
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      write(`\r${file} [${bar}] ${pct}% ${done}/${total} lines ${s}s${done === total ? '\n' : ''}`);
    },
  };
}

/** One line for a failed batch: where, what ip says, and the errno when the tables gave one. */
export function batchErrorLine(e: IpError): string {
  return `${e.file ?? '-'}:${e.line ?? 0}: ${e.message}${e.errno ? ` (${e.errno})` : ''}`;
}

/** Apply the steps in order; a failure is one WxdpError line naming the file and line, or the sysctl. */
/** `nft`: how the nft files' includes are found (nft -I; `./` names are from the working directory, as nft's). */
export function configureStack(dp: Datapath, steps: readonly StackStep[], warn: (s: string) => void, opts: IpBatchOptions = {}, nft: ScanOptions = {}): StackSummary {
  const summary: StackSummary = { batches: [], sysctls: {} };
  for (const s of steps) {
    if (s.kind === 'sysctl') {
      const [name, value] = sysctlArg(s.arg);
      try {
        summary.sysctls[name] = dp.sysctl(name, value);
      } catch (e) {
        if (e instanceof NetError) throw new WxdpError('USAGE', `--sysctl ${s.arg}: ${e.message} (${e.errno})`);
        throw e;
      }
    } else if (s.kind === 'nft') {
      // nft's own error text (file:line:col: Error: …, the line, the carets) is the message
      dp.nftables.run(readBatch(s.arg), s.arg === '-' ? '/dev/stdin' : s.arg, false, nft);
      (summary.nft ??= []).push(s.arg);
    } else {
      const text = readBatch(s.arg);
      try {
        const r = ipBatch(dp, text, { ...opts, ...progressBar(s.arg, text, warn), name: s.arg });
        if (r.stderr) warn(r.stderr);
        summary.batches.push({ file: s.arg, commands: r.commands });
      } catch (e) {
        if (e instanceof IpError) throw new WxdpError('USAGE', `--ip-batch ${batchErrorLine(e)}`);
        throw e;
      }
    }
  }
  return summary;
}

/** "stack: 12 commands from r.batch, net.ipv4.ip_forward=1" */
export function stackLine(s: StackSummary): string {
  const parts = [
    ...s.batches.map((b) => `${b.commands} command${b.commands === 1 ? '' : 's'} from ${b.file}`),
    ...Object.entries(s.sysctls).map(([k, v]) => `${k}=${v}`),
    ...(s.nft ?? []).map((f) => `nft -f ${f}`),
  ];
  return `stack: ${parts.join(', ')}\n`;
}
