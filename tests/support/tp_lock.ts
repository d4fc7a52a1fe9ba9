// The kernel's tracepoints are global: a tp_btf program one test file attaches counts the XDP events of
// every namespace, those another file's veths make at the same time included (vitest runs two files at
// once). The files that compare the kernel's tracepoint counts (tests/datapath/tracepoints_kernel,
// tracepoints_bench) run their kernel side under this lock: a file in this run's temporary directory
// (tests/support/global_tmp.ts), made exclusively, holding its owner's pid; a dead owner's is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WAIT_MS = 120_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `f()` while no other test process has the kernel's XDP tracepoints. */
export function withKernelTracepoints<T>(f: () => T): T {
  const lock = join(tmpdir(), 'wxdp-kernel-tracepoints.lock');
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(lock, 'utf8'));
    } catch {
      continue; // released meanwhile
    }
    if (owner > 0 && !alive(owner)) rmSync(lock, { force: true });
    else if (Date.now() > deadline) throw new Error(`${lock}: held by pid ${owner} for ${WAIT_MS / 1000} s`);
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  try {
    return f();
  } finally {
    rmSync(lock, { force: true });
  }
}
