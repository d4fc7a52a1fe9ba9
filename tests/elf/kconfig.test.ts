// `extern … __kconfig` variables filled before load as libbpf's bpf_object__resolve_externs fills them
// (resolveKconfig, LoadOptions.kconfig, --kconfig FILE), with programs/xdp_kconfig.o, which copies
// each into its .bss `seen`: { u32 version, s32 hz, u32 fq, u8 cookie, nothing, jit, host0, u64 missing }.
// Expected values by hand: LINUX_KERNEL_VERSION = KERNEL_VERSION(6, 18, 0) = 0x061200,
// LINUX_HAS_BPF_COOKIE 1, the unknown weak LINUX_HAS_NOTHING 0, CONFIG_HZ 250, CONFIG_NET_SCH_FQ=m →
// TRI_MODULE 2, CONFIG_BPF_JIT=y → 1, CONFIG_DEFAULT_HOSTNAME="(none)" → '(' 0x28, and the weak
// CONFIG_WXDP_MISSING no config sets → 0. The kernel (libbpf's kconfig option, tests/support/
// kernel_config.c) gives the same .kconfig bytes and `seen`, but for LINUX_KERNEL_VERSION's patch
// level (the running kernel's, masked: 6.18.x there). Error messages: libbpf's (set_kcfg_value_*,
// bpf_object__process_kconfig_line, bpf_object__resolve_externs).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Datapath } from '../../src/control/datapath.js';
import { HZ } from '../../src/control/jiffies.js';
import { parseObject, resolveKconfig, WXDP_KCONFIG, type ObjectSpec } from '../../src/elf/index.js';
import { kernelConfigTool, refusal } from '../support/kernel_config.js';

const root = new URL('../../', import.meta.url).pathname;
const OBJ = join(root, 'programs', 'xdp_kconfig.o');
const PKT = join(root, 'programs', 'corpus', '01-ipv4-udp-dns.bin');
const spec = () => parseObject(new Uint8Array(readFileSync(OBJ)), { path: OBJ });
const KCONFIG = 'CONFIG_HZ=250\nCONFIG_NET_SCH_FQ=m\n# CONFIG_X is not set\nCONFIG_BPF_JIT=y\nCONFIG_DEFAULT_HOSTNAME="(none)"\n';

const le = (n: number, bytes: number) => Buffer.from(BigInt.asUintN(bytes * 8, BigInt(n)).toString(16).padStart(bytes * 2, '0'), 'hex').reverse().toString('hex');
/** `seen` with these values. */
const seen = (v: { version: number; hz: number; fq: number; cookie: number; nothing: number; jit: number; host0: number; missing: number }) =>
  le(v.version, 4) + le(v.hz, 4) + le(v.fq, 4) + le(v.cookie, 1) + le(v.nothing, 1) + le(v.jit, 1) + le(v.host0, 1) + le(v.missing, 8);
const GIVEN = { version: 0x061200, hz: 250, fq: 2, cookie: 1, nothing: 0, jit: 1, host0: 0x28, missing: 0 };

function kconfigOf(s: ObjectSpec): ObjectSpec['maps'][number] {
  return s.maps.find((m) => m.kind === 'kconfig')!;
}

describe('resolveKconfig', () => {
  it('fills the virtual LINUX_ externs and the CONFIG_ lines given, in libbpf layout; the spec is unchanged', () => {
    const s = spec();
    const r = resolveKconfig(s, KCONFIG);
    const m = kconfigOf(r);
    const at = (name: string) => m.kconfig!.find((v) => v.name === name)!;
    const d = Buffer.from(m.data!);
    expect(d.readUInt32LE(at('LINUX_KERNEL_VERSION').offset)).toBe(0x061200);
    expect(d.readInt32LE(at('CONFIG_HZ').offset)).toBe(250);
    expect(d.readUInt32LE(at('CONFIG_NET_SCH_FQ').offset)).toBe(2);
    expect(d[at('CONFIG_BPF_JIT').offset]).toBe(1);
    expect(d[at('LINUX_HAS_BPF_COOKIE').offset]).toBe(1);
    expect(d.subarray(at('CONFIG_DEFAULT_HOSTNAME').offset, at('CONFIG_DEFAULT_HOSTNAME').offset + 7).toString('latin1')).toBe('(none)\0');
    expect(Buffer.from(kconfigOf(s).data!).every((b) => b === 0)).toBe(true);
  });

  it("without kconfig text, wxdp's own config answers (CONFIG_HZ = its jiffies' HZ); what neither sets is 0 when weak", () => {
    expect(WXDP_KCONFIG).toContain(`CONFIG_HZ=${HZ}`);
    const m = kconfigOf(resolveKconfig(spec()));
    const at = (name: string) => m.kconfig!.find((v) => v.name === name)!.offset;
    const d = Buffer.from(m.data!);
    expect([d.readInt32LE(at('CONFIG_HZ')), d[at('CONFIG_BPF_JIT')], d.readUInt32LE(at('CONFIG_NET_SCH_FQ')), d[at('CONFIG_DEFAULT_HOSTNAME')]]).toEqual([250, 1, 0, 0]);
  });

  it('the text given wins over wxdp\'s own, as libbpf takes its kconfig option before the kernel\'s file', () => {
    const m = kconfigOf(resolveKconfig(spec(), 'CONFIG_HZ=1000\nCONFIG_BPF_JIT=n'));
    const at = (name: string) => m.kconfig!.find((v) => v.name === name)!.offset;
    expect([Buffer.from(m.data!).readInt32LE(at('CONFIG_HZ')), m.data![at('CONFIG_BPF_JIT')]]).toEqual([1000, 0]);
  });

  it('refuses values as libbpf does, naming the extern and the errno', () => {
    const s = spec();
    const where = OBJ;
    expect(refusal(() => resolveKconfig(s, 'CONFIG_BPF_JIT=m'))).toEqual(['USAGE', `${where}: extern (kcfg) 'CONFIG_BPF_JIT': value 'm' implies tristate or char type (EINVAL)`]);
    expect(refusal(() => resolveKconfig(s, 'CONFIG_HZ=y'))).toEqual(['USAGE', `${where}: extern (kcfg) 'CONFIG_HZ': value 'y' implies bool, tristate, or char type (EINVAL)`]);
    expect(refusal(() => resolveKconfig(s, 'CONFIG_HZ=0x80000000'))).toEqual(['USAGE', `${where}: extern (kcfg) 'CONFIG_HZ': value '0x80000000' doesn't fit in 4 bytes (ERANGE)`]);
    // strtoull wraps -1 to 2^64-1, which libbpf's range check reads back as -1 for a signed int
    const neg = kconfigOf(resolveKconfig(s, 'CONFIG_HZ=-1'));
    expect(Buffer.from(neg.data!).readInt32LE(neg.kconfig!.find((v) => v.name === 'CONFIG_HZ')!.offset)).toBe(-1);
    expect(refusal(() => resolveKconfig(s, 'CONFIG_HZ=25x'))).toEqual(['USAGE', `${where}: extern (kcfg) 'CONFIG_HZ': value '25x' isn't a valid integer (EINVAL)`]);
    expect(refusal(() => resolveKconfig(s, 'CONFIG_HZ="250"'))).toEqual(['USAGE', `${where}: extern (kcfg) 'CONFIG_HZ': value '"250"' implies char array type (EINVAL)`]);
    expect(refusal(() => resolveKconfig(s, 'CONFIG_DEFAULT_HOSTNAME=12'))).toEqual(['USAGE', `${where}: extern (kcfg) 'CONFIG_DEFAULT_HOSTNAME': value '12' implies integer type (EINVAL)`]);
    expect(refusal(() => resolveKconfig(s, 'CONFIG_DEFAULT_HOSTNAME="x'))).toEqual(['USAGE', `${where}: extern (kcfg) 'CONFIG_DEFAULT_HOSTNAME': invalid string config '"x' (EINVAL)`]);
    expect(refusal(() => resolveKconfig(s, 'CONFIG_HZ'))).toEqual(['USAGE', "kconfig line 1: failed to parse 'CONFIG_HZ': no separator (EINVAL)"]);
    expect(refusal(() => resolveKconfig(s, '\nCONFIG_HZ='))).toEqual(['USAGE', "kconfig line 2: failed to parse 'CONFIG_HZ=': no value (EINVAL)"]);
    // a string longer than the array is cut to its size with the NUL, as libbpf ("too long, truncated")
    const long = kconfigOf(resolveKconfig(s, 'CONFIG_DEFAULT_HOSTNAME="abcdefghijklmnopqrstuvwxyz"'));
    const off = long.kconfig!.find((v) => v.name === 'CONFIG_DEFAULT_HOSTNAME')!.offset;
    expect(Buffer.from(long.data!.subarray(off, off + 16)).toString('latin1')).toBe('abcdefghijklmno\0');
  });

  it('a strong extern nothing sets fails with ESRCH; an unknown strong LINUX_ one with EINVAL', () => {
    const s = spec();
    const strong = (name: string): ObjectSpec => ({
      ...s,
      maps: s.maps.map((m) => (m.kind === 'kconfig' ? { ...m, kconfig: m.kconfig!.map((v) => (v.name === name ? { ...v, weak: false } : v)) } : m)),
    });
    expect(refusal(() => resolveKconfig(strong('CONFIG_WXDP_MISSING'), KCONFIG))).toEqual([
      'NOT_FOUND',
      `${OBJ}: extern 'CONFIG_WXDP_MISSING' (strong): not resolved (ESRCH): neither the kconfig text given (LoadOptions.kconfig, --kconfig FILE) nor wxdp's own sets it`,
    ]);
    expect(refusal(() => resolveKconfig(strong('LINUX_HAS_NOTHING'), KCONFIG))).toEqual(['USAGE', `${OBJ}: extern (kcfg) 'LINUX_HAS_NOTHING': unrecognized virtual extern (EINVAL)`]);
  });
});

describe('loading with kconfig', () => {
  it('the program reads the values (API and --kconfig)', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(OBJ, { kconfig: KCONFIG });
    expect(obj.program().testRun({ data: readFileSync(PKT) }).retval).toBe(2);
    expect(Buffer.from(obj.map('xdp_kcon.bss').lookup(Uint8Array.of(0, 0, 0, 0))!).toString('hex')).toBe(seen(GIVEN));

    const dir = mkdtempSync(join(tmpdir(), 'wx-kcfg-'));
    try {
      writeFileSync(join(dir, 'config'), KCONFIG);
      let out = '';
      let err = '';
      const io = { out: (x: string) => (out += x), err: (x: string) => (err += x) };
      expect(await main(['prog', 'run', OBJ, 'data_in', PKT, '--kconfig', join(dir, 'config'), '--dump-maps', '--json'], io), err).toBe(0);
      expect(JSON.parse(out).maps['xdp_kcon.bss'][0].value).toBe(seen(GIVEN));
      err = '';
      expect(await main(['prog', 'load', OBJ, '--kconfig', join(dir, 'nope')], io)).toBe(2);
      expect(err).toBe(`wxdp prog: --kconfig: cannot read '${join(dir, 'nope')}': ENOENT\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const { tool, dir, reason } = kernelConfigTool();

  it.skipIf(reason !== '')(`the kernel (libbpf, the same kconfig text) fills the same bytes but the patch level${reason ? ` — skipped: ${reason}` : ''}`, async () => {
    writeFileSync(join(dir, 'config'), KCONFIG);
    const r = spawnSync(tool, [OBJ, 'xdp_kconfig', readFileSync(PKT).toString('hex'), '1', '-k', join(dir, 'config'), '-d', 'xdp_kcon.bss', '-d', 'xdp_kco.kconfig'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const bss = lines.find((l) => l.startsWith('map xdp_kcon.bss'))!.split(' ')[3]!;
    const kcfg = lines.find((l) => l.startsWith('map xdp_kco.kconfig'))!.split(' ')[3]!;
    // the running kernel's LINUX_KERNEL_VERSION: 6.18.x (its first byte is the patch level, masked)
    expect(bss.slice(2, 8)).toBe('120600');
    const dp = await Datapath.create();
    const obj = await dp.loadObject(OBJ, { kconfig: KCONFIG });
    obj.program().testRun({ data: readFileSync(PKT) });
    const mask = (hex: string, at: number) => hex.slice(0, at * 2) + '..' + hex.slice(at * 2 + 2);
    expect(mask(bss, 0)).toBe(mask(seen(GIVEN), 0));
    const vOff = kconfigOf(resolveKconfig(spec(), KCONFIG)).kconfig!.find((v) => v.name === 'LINUX_KERNEL_VERSION')!.offset;
    expect(mask(kcfg, vOff)).toBe(mask(Buffer.from(obj.map('xdp_kco.kconfig').lookup(Uint8Array.of(0, 0, 0, 0))!).toString('hex'), vOff));
  });
});
