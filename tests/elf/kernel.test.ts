// The committed fixture objects, loaded now by the running kernel through libbpf (`bpftool -d prog
// loadall`, via fixtures/build.sh --oracle-to), and compared with parseObject() the same way
// objects.test.ts compares them with the recorded logs. Skips, with the reason in the test name, where
// the kernel cannot be used (not root, no bpftool, no bpffs).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { kernelAvailability } from '../../src/oracle/kernel.js';
import { libbpfAgreement } from './libbpf_agreement.js';
import { fixtureBytes, fixturePath } from './oracle.js';

// The objects libbpf 1.x accepts (legacy_maps, own_section_call, sections and ksym it refuses).
const LOADABLE = ['btf_kinds', 'btf_maps', 'calls', 'global_data', 'kconfig', 'pinned', 'prog_array'];

const avail = kernelAvailability();
if (!avail.ok) {
  it.skip(`live libbpf comparison skipped: ${avail.reason}`, () => {});
} else {
  const out = mkdtempSync(join(tmpdir(), 'wxdp-elf-oracle-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const run = spawnSync('sh', [fixturePath('build.sh'), '--oracle-to', out, ...LOADABLE], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) {
    it('runs fixtures/build.sh --oracle-to', () => {
      throw new Error(`build.sh --oracle-to exited with ${run.status}: ${run.stderr}`);
    });
  } else {
    describe.each(LOADABLE)('%s.o, loaded now by libbpf and this kernel', (name) => {
      libbpfAgreement(`${name}.o`, fixtureBytes(`${name}.o`), readFileSync(join(out, `${name}.libbpf.txt`), 'utf8'));
    });
  }
}
