// vitest globalSetup: every test file's temporary files (os.tmpdir(): mkdtemp dirs, captures, sockets) go
// under one directory made for this run, removed when the run ends, so no run leaves files in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'wxdp-test-'));
  const prev = process.env.TMPDIR;
  process.env.TMPDIR = dir; // the test processes are forked after this and inherit it
  return () => {
    rmSync(dir, { recursive: true, force: true });
    if (prev === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = prev;
  };
}
