// What the verifier said of an object, to compare with the kernel: a refused object's last message and
// errno, as wxdp and as the kernel (bpftool -d prog load) give them (the line before the log's summary,
// so the two compare line for line); an accepted object's instructions processed, by program.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';

export interface Refusal {
  errno: string;
  message: string | undefined;
}

const ERRNO: Record<number, string> = { 13: 'EACCES', 22: 'EINVAL', 524: 'ENOTSUPP' };

/** wxdp's refusal of the object at `path` (undefined: it loaded). */
export async function wxdpRefusal(path: string): Promise<Refusal | undefined> {
  const dp = await Datapath.create();
  try {
    const err = await dp.loadObject(path).then(() => undefined, (e: unknown) => e);
    if (err === undefined) return undefined;
    if (!(err instanceof VerifierError)) throw err;
    const log = err.log.split('\n');
    return { errno: err.errno, message: log[log.findIndex((l) => l.startsWith('processed ')) - 1] };
  } finally {
    await dp.close();
  }
}

/** wxdp's instructions processed for each program of the object at `path`, by name. */
export async function processedInsns(path: string, names: readonly string[]): Promise<Record<string, number | undefined>> {
  const dp = await Datapath.create();
  try {
    const o = await dp.loadObject(path);
    return Object.fromEntries(names.map((p) => [p, o.program(p).verifierStats?.insnsProcessed]));
  } finally {
    await dp.close();
  }
}

/** The kernel's refusal (bpftool -d prog load; its log has two more summary lines than wxdp's). */
export function kernelRefusal(path: string, pin: string): Refusal | undefined {
  try {
    const load = spawnSync('bpftool', ['-d', 'prog', 'load', path, pin], { encoding: 'utf8' });
    if (load.status === 0) return undefined;
    const log = load.stderr.split('\n');
    const code = /failed to load: -(\d+)/.exec(load.stderr)?.[1];
    return { errno: ERRNO[Number(code)] ?? `-${code}`, message: log[log.findIndex((l) => l.startsWith('processed ')) - 3] };
  } finally {
    rmSync(pin, { force: true });
  }
}
