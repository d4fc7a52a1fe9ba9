// What a libbpf user sets between open and load — bpf_map__set_max_entries and the skeleton's globals —
// on wxdp (configureObject, LoadOptions.maxEntries / globals, --max-entries / --global), with
// programs/xdp_config.o, an object written for such a loader as xdp-tools' xdp-bench is: two maps of
// max_entries 0 and `const volatile` settings. Expected values are derived by hand from the program
// (three 64-byte IPv4 frames, nr_cpus 2, action XDP_DROP, tag "wxdp01", count_bytes, sample_every 2):
// rx_cnt[0] = { processed 3, dropped 3, bytes 192 }, seen[0x0800] = 3, frames 3, sampled 1 (frame 2),
// the source MAC overwritten with "wxdp01". The kernel (libbpf, tests/support/kernel_config.c built
// here with gcc -lbpf) gives the same, compared line for line; skipped with the reason without root,
// gcc or libbpf.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseGlobalValue } from '../../src/cli/object_options.js';
import { Datapath, type BpfObject } from '../../src/control/datapath.js';
import { configureObject, parseObject } from '../../src/elf/index.js';
import { MapError } from '../../src/maps/index.js';
import { kernelConfigTool, refusal } from '../support/kernel_config.js';

const root = new URL('../../', import.meta.url).pathname;
const OBJ = join(root, 'programs', 'xdp_config.o');
const spec = () => parseObject(new Uint8Array(readFileSync(OBJ)), { path: OBJ });

// 64 bytes: dst 00:11:22:33:44:55, src 02:66:77:88:99:aa, IPv4 EtherType, zeros.
const FRAME = Buffer.from('0011223344550266778899aa0800' + '00'.repeat(50), 'hex');
const TAGGED = Buffer.from('001122334455' + Buffer.from('wxdp01').toString('hex') + '0800' + '00'.repeat(50), 'hex');

const SIZES = { rx_cnt: 2, seen: 16 };
const GLOBALS = { nr_cpus: 2, action: 'XDP_DROP', tag: 'wxdp01', count_bytes: true, sample_every: 2 };
const le64 = (n: number) => Buffer.from(BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, '0'), 'hex').reverse().toString('hex');
const EXPECTED_MAPS = [
  `map rx_cnt 00000000 ${le64(3)}${le64(3)}${le64(192)}`,
  `map rx_cnt 01000000 ${'00'.repeat(24)}`,
  `map seen 0008 ${le64(3)}`,
  `map xdp_conf.bss 00000000 ${le64(3)}${le64(1)}`,
  `map xdp_conf.data 00000000 02000000`,
];

/** Every entry of the maps, as the kernel side prints them (bpf_map_get_next_key order). */
function dump(obj: BpfObject, names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const m = obj.map(name);
    for (let k = m.nextKey(null); k; k = m.nextKey(k)) out.push(`map ${name} ${Buffer.from(k).toString('hex')} ${Buffer.from(m.lookup(k)!).toString('hex')}`);
  }
  return out;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('configureObject', () => {
  it('sets max_entries and globals on a copy; the parsed spec is unchanged', () => {
    const s = spec();
    const c = configureObject(s, { maxEntries: SIZES, globals: GLOBALS });
    expect(s.maps.find((m) => m.name === 'rx_cnt')!.maxEntries).toBe(0);
    expect(c.maps.find((m) => m.name === 'rx_cnt')!.maxEntries).toBe(2);
    expect(c.maps.find((m) => m.name === 'seen')!.maxEntries).toBe(16);
    // .rodata: nr_cpus u32 at 0, action (enum, 4 bytes) at 4, count_bytes at 8, tag[8] at 9 (clang's layout, BTF DATASEC)
    const ro = c.maps.find((m) => m.kind === 'rodata')!;
    expect(Buffer.from(ro.data!).toString('hex')).toBe('02000000' + '01000000' + '01' + Buffer.from('wxdp01\0\0').toString('hex'));
    // the object's own values: action = XDP_PASS (2), the rest 0
    expect(Buffer.from(s.maps.find((m) => m.kind === 'rodata')!.data!).toString('hex')).toBe('00000000' + '02000000' + '00'.repeat(9));
    expect(Buffer.from(c.maps.find((m) => m.kind === 'data')!.data!).toString('hex')).toBe('02000000');
    expect(configureObject(s, {})).toBe(s);
  });

  it('takes raw bytes of the variable size, SECTION.name, and a .bss variable', () => {
    const c = configureObject(spec(), { globals: { '.rodata.nr_cpus': Uint8Array.of(4, 0, 0, 0), frames: 5n } });
    expect(Buffer.from(c.maps.find((m) => m.kind === 'rodata')!.data!.subarray(0, 4)).toString('hex')).toBe('04000000');
    expect(Buffer.from(c.maps.find((m) => m.kind === 'bss')!.data!).toString('hex')).toBe(le64(5) + le64(0));
  });

  it('refuses what libbpf would not set, naming it', () => {
    const s = spec();
    expect(refusal(() => configureObject(s, { maxEntries: { rx: 1 } }))).toEqual(['NOT_FOUND', `${OBJ}: no map 'rx' (maps: rx_cnt, seen, xdp_conf.rodata, xdp_conf.data, xdp_conf.bss, xdp_con.kconfig)`]);
    expect(refusal(() => configureObject(s, { maxEntries: { rx_cnt: -1 } }))).toEqual(['USAGE', `${OBJ}: max_entries of map 'rx_cnt': -1 is not a u32`]);
    expect(refusal(() => configureObject(s, { maxEntries: { rx_cnt: 2 ** 32 } }))[0]).toBe('USAGE');
    expect(refusal(() => configureObject(s, { maxEntries: { 'xdp_conf.rodata': 2 } }))).toEqual(['USAGE', `${OBJ}: map 'xdp_conf.rodata' holds global data (rodata); its max_entries is 1 and cannot be set`]);
    expect(refusal(() => configureObject(s, { globals: { nr_cpu: 1 } }))).toEqual(['NOT_FOUND', `${OBJ}: no global variable 'nr_cpu' (variables: nr_cpus, action, count_bytes, tag, sample_every, frames, sampled)`]);
    expect(refusal(() => configureObject(s, { globals: { '.data.nr_cpus': 1 } }))[0]).toBe('NOT_FOUND');
    expect(refusal(() => configureObject(s, { globals: { LINUX_KERNEL_VERSION: 1 } }))).toEqual(['USAGE', `${OBJ}: 'LINUX_KERNEL_VERSION' is a .kconfig extern, which the loader fills in; it cannot be set`]);
    expect(refusal(() => configureObject(s, { globals: { nr_cpus: Uint8Array.of(1) } }))).toEqual(['USAGE', `${OBJ}: 'nr_cpus' is 4 bytes, the value given 1`]);
    expect(refusal(() => configureObject(s, { globals: { action: 'XDP_FLY' } }))[1]).toMatch(/global 'action': .*'XDP_FLY' is not an enumerator of enum xdp_action/);
    expect(refusal(() => configureObject(s, { globals: { nr_cpus: 2 ** 32 } }))[1]).toMatch(/global 'nr_cpus': .*does not fit an unsigned 32-bit integer/);
  });
});

describe('loadObject with maxEntries and globals', () => {
  it('as it is, the object is refused as the kernel refuses it: EINVAL on rx_cnt (max_entries 0)', async () => {
    const dp = await Datapath.create();
    const e = await dp.loadObject(OBJ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MapError);
    expect(e).toMatchObject({ code: 'MAP_CREATE', map: 'rx_cnt', errno: 22 });
  });

  it('programType: every program takes the type a section name gives it (bpf_program__set_type); an unknown one is refused by name', async () => {
    const odd = join(root, 'tests/cli/fixtures/odd_section.o');
    const dp = await Datapath.create();
    const plain = await dp.loadObject(odd);
    expect([plain.programs.size, plain.skipped.get('swap_macs')?.why]).toEqual([0, 'unsupported']);
    const typed = await dp.loadObject(odd, { programType: 'xdp' });
    expect(typed.program('swap_macs').spec).toMatchObject({ type: 'xdp', section: 'xdp_swap' });
    expect(typed.program('swap_macs').spec.attachType).toBe('xdp'); // libbpf's SEC_DEF("xdp", XDP, BPF_XDP, …)
    const devmap = configureObject(parseObject(readFileSync(odd)), { programType: 'xdp/devmap' });
    expect(devmap.programs[0]).toMatchObject({ type: 'xdp', attachType: 'xdp_devmap' });
    await expect(dp.loadObject(odd, { programType: 'xdq' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining("program type 'xdq' is none libbpf knows") });
    await expect(dp.loadInsns([], { programType: 'xdp' })).rejects.toMatchObject({ message: 'loadInsns: programType is an option of loadObject (raw instructions have no maps, globals or externs)' });
  });

  it('loadInsns refuses the object-only options instead of ignoring them', async () => {
    const dp = await Datapath.create();
    const e = await dp.loadInsns([], { globals: { x: 1 }, maxEntries: { m: 1 } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'USAGE', message: 'loadInsns: maxEntries, globals are options of loadObject (raw instructions have no maps, globals or externs)' });
  });

  it('configured, it runs as the hand-derived counts say, the settings being verified constants', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(OBJ, { maxEntries: SIZES, globals: GLOBALS });
    const r = obj.program('xdp_config').testRun({ data: FRAME, repeat: 3 });
    expect(r.retval).toBe(1);
    expect(Buffer.from(r.data).toString('hex')).toBe(TAGGED.toString('hex'));
    expect(dump(obj, ['rx_cnt', 'seen', 'xdp_conf.bss', 'xdp_conf.data'])).toEqual(EXPECTED_MAPS);
    // .rodata is frozen with the values written before load: the program cannot be given others.
    expect(() => obj.map('xdp_conf.rodata').update(Uint8Array.of(0, 0, 0, 0), new Uint8Array(17))).toThrow(/EPERM/);
    // nr_cpus 0 (the object's own value) makes every frame XDP_ABORTED (cpu 0 >= 0)
    const dp2 = await Datapath.create();
    const obj2 = await dp2.loadObject(OBJ, { maxEntries: SIZES });
    expect(obj2.program('xdp_config').testRun({ data: FRAME }).retval).toBe(0);
  });

  const { tool, reason } = kernelConfigTool();
  const hex4 = (n: number) => Buffer.from(Uint32Array.of(n).buffer).toString('hex');
  const kernel = (...args: string[]) => spawnSync(tool, [OBJ, 'xdp_config', FRAME.toString('hex'), '3', ...args], { encoding: 'utf8' });

  it.skipIf(reason !== '')(`the kernel (libbpf) refuses it as it is and gives the same run configured${reason ? ` — skipped: ${reason}` : ''}`, () => {
    expect(kernel().stdout.trim()).toBe('load 22');
    const r = kernel(
      '-e', 'rx_cnt=2', '-e', 'seen=16',
      '-g', `nr_cpus=${hex4(2)}`, '-g', `action=${hex4(1)}`, '-g', `tag=${Buffer.from('wxdp01\0\0').toString('hex')}`, '-g', 'count_bytes=01', '-g', `sample_every=${hex4(2)}`,
      '-d', 'rx_cnt', '-d', 'seen', '-d', 'xdp_conf.bss', '-d', 'xdp_conf.data',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['retval 1', `out ${TAGGED.toString('hex')}`, ...EXPECTED_MAPS]);
  });
});

describe('--max-entries and --global', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wx-cfgcli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const frame = join(dir, 'frame.bin');
  writeFileSync(frame, FRAME);
  const opts = ['--max-entries', 'rx_cnt=2', '--max-entries=seen=16', '--global', 'nr_cpus=2', '--global', 'action=XDP_DROP', '--global', 'tag=wxdp01', '--global', 'count_bytes=true', '--global=sample_every=0x2'];

  it('prog run with them gives the configured run; prog load without them fails with EINVAL', async () => {
    const r = await cli('prog', 'run', OBJ, 'data_in', frame, 'repeat', '3', ...opts, '--dump-maps', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.retval).toBe(1);
    expect(j.maps.rx_cnt[0]).toMatchObject({ key: '00000000', value: `${le64(3)}${le64(3)}${le64(192)}` });
    const bare = await cli('prog', 'load', OBJ);
    expect([bare.code, bare.err]).toEqual([1, "wxdp prog: map 'rx_cnt': create: EINVAL (array key 4 value 24 entries 0 flags 0x400)\n"]);
    // a later command line does not keep the earlier one's settings
    expect((await cli('prog', 'load', OBJ, ...opts)).code).toBe(0);
    expect((await cli('prog', 'load', OBJ)).code).toBe(1);
  });

  it('bad settings are one-line usage errors naming them', async () => {
    const bad = async (...a: string[]) => {
      const r = await cli('prog', 'load', OBJ, ...a);
      return [r.code, r.err];
    };
    expect(await bad('--max-entries', 'rx_cnt')).toEqual([2, "wxdp prog: --max-entries: 'rx_cnt' is not MAP=N\n"]);
    expect(await bad('--max-entries', 'rx_cnt=lots')).toEqual([2, "wxdp prog: --max-entries rx_cnt=lots: 'lots' is not a u32\n"]);
    expect(await bad('--global')).toEqual([2, 'wxdp prog: --global needs VAR=VALUE\n']);
    const missing = await bad(...opts, '--global', 'nope=1');
    expect(missing[0]).toBe(1);
    expect(missing[1]).toContain("no global variable 'nope'");
    expect((await cli('prog', 'load', '--help')).out).toContain('--max-entries MAP=N');
  });

  it('reads VALUE as an integer of any width, JSON, or the word', () => {
    expect(parseGlobalValue('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseGlobalValue('-0x10')).toBe(-16n);
    expect(parseGlobalValue('[1,2]')).toEqual([1, 2]);
    expect(parseGlobalValue('true')).toBe(true);
    expect(parseGlobalValue('"12"')).toBe('12');
    expect(parseGlobalValue('XDP_TX')).toBe('XDP_TX');
  });
});
