// A devmap's or cpumap's bpf_prog.fd takes a program of its own kind only: __dev_map_alloc_node wants expected_attach_type
// BPF_XDP_DEVMAP (else EINVAL), __cpu_map_load_bpf_program BPF_XDP_CPUMAP (its failure is the entry allocation's:
// cpu_map_update_elem's ENOMEM). rv55: wxdp took any XDP program and ran it as the entry's. programs/xdp_entry_kinds.o,
// each of its three programs into each map, against Linux 6.18 (tests/support/entry_prog_probe.c, gcc -lbpf).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, MapError, MapType } from '../../src/maps/index.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_entry_kinds.o', import.meta.url));
const EXPECTED = ['devmap plain -22', 'cpumap plain -12', 'devmap on_devmap 0', 'cpumap on_devmap -12', 'devmap on_cpumap -22', 'cpumap on_cpumap 0'];
// a prog_array's owner is its first program's kind: the others are refused (bpf_prog_map_compatible)
const JMP_EXPECTED = [
  'jmp0 plain 0', 'jmp0 on_devmap -22', 'jmp0 on_cpumap -22',
  'jmp1 on_devmap 0', 'jmp1 on_cpumap -22', 'jmp1 plain -22',
  'jmp2 on_cpumap 0', 'jmp2 plain -22', 'jmp2 on_devmap -22',
];
const u32s = (a: number, b: number): Uint8Array => {
  const v = new Uint8Array(8);
  new DataView(v.buffer).setUint32(0, a, true);
  new DataView(v.buffer).setUint32(4, b, true);
  return v;
};

describe('a devmap or cpumap entry program of the wrong kind', () => {
  it('is refused as the kernel refuses it: a devmap EINVAL, a cpumap ENOMEM', async () => {
    const dp = await Datapath.create({ hugePages: false });
    try {
      const eth0 = dp.addDevice({ name: 'eth0' });
      const o = await dp.loadObject(OBJ);
      const dm = createMap(dp.fastPath, { name: 'dm', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4 });
      const cm = createMap(dp.fastPath, { name: 'cm', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 4 });
      const out: string[] = [];
      for (const name of ['plain', 'on_devmap', 'on_cpumap']) {
        const fd = o.programs.get(name)!.fd;
        for (const [what, m, first] of [['devmap', dm, eth0.ifindex], ['cpumap', cm, 192]] as const) {
          try {
            m.update(new Uint8Array(4), u32s(first, fd));
            out.push(`${what} ${name} 0`);
          } catch (e) {
            if (!(e instanceof MapError)) throw e;
            out.push(`${what} ${name} ${-e.errno}`);
          }
        }
      }
      expect(out).toEqual(EXPECTED);
      const names = ['plain', 'on_devmap', 'on_cpumap'];
      const jmp: string[] = [];
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const name = names[(i + j) % 3]!;
          const key = new Uint8Array(4);
          key[0] = j;
          const fd = new Uint8Array(4);
          new DataView(fd.buffer).setUint32(0, o.programs.get(name)!.fd, true);
          try {
            o.maps.get(`jmp${i}`)!.update(key, fd);
            jmp.push(`jmp${i} ${name} 0`);
          } catch (e) {
            if (!(e instanceof MapError)) throw e;
            jmp.push(`jmp${i} ${name} ${-e.errno}`);
          }
        }
      }
      expect(jmp).toEqual(JMP_EXPECTED);
    } finally {
      await dp.close();
    }
  });

  it.skipIf(!kernelAvailability().ok)('Linux answers the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rv55-entry-'));
    try {
      const tool = join(dir, 'entry_prog_probe');
      const built = spawnSync('gcc', ['-O1', '-o', tool, fileURLToPath(new URL('../support/entry_prog_probe.c', import.meta.url)), '-lbpf'], { encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
      const r = spawnSync(tool, [OBJ], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual([...EXPECTED, ...JMP_EXPECTED]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
