// The CLI's side of issue 14's maps: --max-memory on the commands that load an object (ENOMEM naming
// the limit and the map past it), and --dump-maps going on past a key whose lookup fails, as bpftool's
// map dump does (print_entry_error: the key, then strerror() of the lookup's errno — for a
// perf_event_array, ENOTSUPP, "Unknown error 524", as bpftool prints it on Linux 6.18).

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseSize } from '../../src/cli/object_options.js';
import { dumpMap } from '../../src/cli/prog.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, MapType } from '../../src/maps/index.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const root = new URL('../../', import.meta.url).pathname;
const prog = (name: string) => join(root, 'programs', name);
const pkt = (file: string) => join(root, 'programs', 'corpus', file);

describe('--max-memory', () => {
  it('parses bytes and K/M/G sizes; anything else is a usage error (exit 2)', async () => {
    expect(parseSize('4096', 'x')).toBe(4096);
    expect(parseSize('64M', 'x')).toBe(64 << 20);
    expect(parseSize('1g', 'x')).toBe(1 << 30);
    expect(parseSize('512KiB', 'x')).toBe(512 << 10);
    const r = await cli('prog', 'load', prog('xdp_pass_drop.o'), '--max-memory', 'lots');
    expect([r.code, r.err]).toEqual([2, "wxdp prog: --max-memory: 'lots' is not a size (bytes, or a number with K, M or G)\n"]);
    expect((await cli('prog', 'load', prog('xdp_pass_drop.o'), '--max-memory')).code).toBe(2);
  });

  it('past the ceiling the load fails with ENOMEM naming the limit and the map; a larger one loads', async () => {
    const r = await cli('prog', 'load', prog('xdp_ch_rings.o'), '--max-memory', '64M');
    expect(r.code).toBe(1);
    expect(r.err).toContain("map 'ch_rings': create: ENOMEM (array key 4 value 4 entries 33554944 flags 0x0: the memory limit of 64 MiB is reached");
    const ok = await cli('prog', 'load', '--max-memory=512M', prog('xdp_ch_rings.o'));
    expect(ok.code).toBe(0);
    const run = await cli('prog', 'run', prog('xdp_ch_rings.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'), '--max-memory', '64M');
    expect(run.code).toBe(1);
    expect(run.err).toContain('the memory limit of 64 MiB is reached');
  });
});

describe('--dump-maps', () => {
  it('lists a key whose lookup fails with the error and goes on (a perf_event_array)', async () => {
    const r = await cli('prog', 'run', prog('xdp_perf_dump.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'), '--dump-maps', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.maps.dump_perf).toEqual(Array.from({ length: availableParallelism() }, (_, i) => ({ key: `0${i}000000`, error: 'Unknown error 524' })));
    // perf_results: the valid output found no reader (-ENOENT: key 2), then -E2BIG, -EFAULT, -EINVAL
    expect(j.maps.perf_results.filter((e: { value: string }) => !/^0+$/.test(e.value)).map((e: { key: string }) => e.key)).toEqual(['02000000', '07000000', '0e000000', '16000000']);
  });

  it('map dump goes on past failing keys and counts only the elements read, as bpftool (0 for a perf_event_array)', async () => {
    const r = await cli('map', 'dump', prog('xdp_perf_dump.o'), 'name', 'dump_perf');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('Found 0 elements');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual(Array.from({ length: availableParallelism() }, (_, i) => ({ key: `0${i}000000`, error: 'Unknown error 524' })));
  });

  it('an xskmap: every key with EOPNOTSUPP\'s text', async () => {
    const dp = await Datapath.create();
    const x = createMap(dp.fastPath, { name: 'xsks', type: MapType.XSKMAP, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(dumpMap(x)).toEqual([{ key: '00000000', error: 'Operation not supported' }, { key: '01000000', error: 'Operation not supported' }]);
  });
});
