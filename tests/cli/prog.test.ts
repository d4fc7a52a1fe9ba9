// `wxdp prog …` and `wxdp map …` on the committed programs/ objects; expected values come from the
// kernel recordings in programs/expected (retval, data_out, map contents).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const root = new URL('../../', import.meta.url).pathname;
const prog = (name: string) => join(root, 'programs', name);
const pkt = (file: string) => join(root, 'programs', 'corpus', file);
const expected = (name: string) => JSON.parse(readFileSync(join(root, 'programs', 'expected', `${name}.json`), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'wxdp-prog-'));

describe('wxdp prog', () => {
  it('show lists programs, maps and license without loading', async () => {
    const r = await cli('prog', 'show', prog('xdp_pass_drop.o'));
    expect(r.out).toMatch(/^xdp_pass: xdp {2}section xdp/m);
    expect(r.out).toMatch(/^xdp_drop: xdp {2}section xdp/m);
    expect(r.out).toMatch(/license "GPL"/);
    const j = JSON.parse((await cli('prog', 'show', prog('xdp_globals.o'), '--json')).out);
    expect(j.maps.map((m: { type: string }) => m.type)).toEqual(['array', 'array', 'array', 'array']);
  });

  it('load creates maps and compiles every program', async () => {
    const r = await cli('prog', 'load', prog('xdp_tailcall.o'));
    expect(r.code).toBe(0);
    for (const p of ['xdp_dispatch', 'xdp_ipv4', 'xdp_ipv6', 'xdp_tcp', 'xdp_udp']) expect(r.out).toMatch(new RegExp(`^${p}: xdp .*loaded \\(jit\\)`, 'm'));
    expect(r.out).toMatch(/^map .*prog_array/m);
  });

  it('load --log prints the verifier log; a rejected program fails with the kernel message (exit 1)', async () => {
    const ok = await cli('prog', 'load', prog('xdp_pass_drop.o'), '--log', '2');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^--- verifier log: xdp_pass ---$/m);
    expect(ok.out).toMatch(/^0: \(b7\) r0 = 2$/m);
    expect(ok.out).toMatch(/^processed \d+ insns \(limit 1000000\)/m);
    expect(ok.out).toMatch(/^xdp_pass: .*verified \(\d+ insns processed, [\d.]+ ms\), runs unchecked$/m);
    const json = JSON.parse((await cli('prog', 'load', prog('xdp_pass_drop.o'), '--json')).out);
    expect(json.verified[0]).toMatchObject({ name: 'xdp_pass', checked: false, verifier: { insnsProcessed: 2 } });
    const bad = await cli('prog', 'load', join(root, 'programs/verifier/reject/pkt_off_by_one.o'), '--log');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('5: (71) r0 = *(u8 *)(r2 + 0)\ninvalid access to packet, off=14 size=1, R2(id=0,off=14,r=14)\nR2 offset is outside of the packet\n');
    expect(bad.err).toMatch(/insn 5: invalid access to packet, off=14 size=1/);
    const unverified = await cli('prog', 'load', prog('xdp_pass_drop.o'), '--no-verify');
    expect(unverified.out).toMatch(/^xdp_pass: .*not verified, runs checked$/m);
  });

  it('dump prints llvm syntax with source lines from BTF', async () => {
    const r = await cli('prog', 'dump', prog('xdp_calls.o'));
    expect(r.out).toMatch(/^; int c = classify\(ctx\); @ xdp_calls\.c:\d+$/m);
    expect(r.out).toMatch(/^ {4}0: call pc\+\d+/m);
    const u = await cli('prog', 'dump', prog('xdp_pass_drop.o'), 'name', 'xdp_drop', 'syntax', 'ubpf');
    expect(u.out).toMatch(/0: mov(32)? %r0, 1\n\s+1: exit/);
  });

  it('run gives the kernel\'s retval and data_out, bpftool-style, and writes data_out', async () => {
    const exp = expected('xdp_icmp_echo');
    const rec = exp.packets.find((p: { packet: string }) => p.packet === 'ipv4-icmp-echo-request');
    const out = join(tmp, 'out.bin');
    const r = await cli('prog', 'run', prog('xdp_icmp_echo.o'), 'data_in', pkt('13-ipv4-icmp-echo-request.bin'), 'data_out', out);
    expect(r.out).toMatch(new RegExp(`^Return value: ${rec.retval}, duration: \\d+ns$`, 'm'));
    expect(readFileSync(out).toString('hex')).toBe(rec.dataOut);
    // repeat runs the program again on the same buffer, as the kernel does (checked with bpftool on
    // 6.18: repeat 2 returns XDP_PASS, since the second run sees the echo reply, and the same data_out).
    const r2 = await cli('prog', 'run', prog('xdp_icmp_echo.o'), 'data_in', pkt('13-ipv4-icmp-echo-request.bin'), 'data_out', out, 'repeat', '2');
    expect(r2.out).toMatch(/^Return value: 2, duration \(average\): \d+ns$/m);
    expect(readFileSync(out).toString('hex')).toBe(rec.dataOut);
  });

  it('run --json with --map-update and --dump-maps (LPM firewall blocks the installed prefix)', async () => {
    // struct lpm_v4_key { u32 prefixlen; u8 addr[4] } = 198.51.100.0/24; struct rule { action 1 (drop), id 9 }.
    // Packet 01 goes to 198.51.100.1, so the program returns XDP_DROP (1) and counts a hit for rule 9.
    const r = await cli('prog', 'run', prog('xdp_lpm_firewall.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'), '--map-update', 'block_v4', '18000000 c6336400', '01000000 09000000', '--dump-maps', '--json');
    const j = JSON.parse(r.out);
    expect(j.retval).toBe(1);
    expect(j.maps.block_v4).toEqual([{ key: '18000000c6336400', value: '0100000009000000' }]);
  });

  it('run reports bad arguments with exit 2', async () => {
    expect((await cli('prog', 'run', prog('xdp_pass_drop.o'))).code).toBe(2);
    expect((await cli('prog', 'run', prog('xdp_pass_drop.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'), 'name', 'nope')).err).toMatch(/no program 'nope'/);
    const short = join(tmp, 'short.bin');
    writeFileSync(short, new Uint8Array(10));
    expect((await cli('prog', 'run', prog('xdp_pass_drop.o'), 'data_in', short)).err).toMatch(/at least 14 \(EINVAL\)/);
    expect((await cli('prog', 'frob', prog('xdp_pass_drop.o'))).code).toBe(2);
    expect((await cli('prog', 'show', join(tmp, 'missing.o'))).err).toMatch(/cannot read .*ENOENT/);
  });

  it('show names the section and offset of a malformed object', async () => {
    const bad = join(tmp, 'bad.o');
    writeFileSync(bad, readFileSync(prog('xdp_pass_drop.o')).subarray(0, 100));
    const r = await cli('prog', 'show', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/offset|section/i);
  });
});

describe('wxdp map', () => {
  it('dump shows global data as loading leaves it', async () => {
    const r = await cli('map', 'dump', prog('xdp_globals.o'), 'name', '.rodata');
    expect(r.out).toMatch(/"key":"00000000"/);
    expect(r.out).toMatch(/Found 1 element/);
  });

  it('update then lookup; flags noexist on an existing array element fails with EEXIST', async () => {
    const u = await cli('map', 'update', prog('xdp_lb.o'), 'name', 'backends', 'key', '00 00 00 00', 'value', 'hex', ...Array(12).fill('11'));
    expect(u.code).toBe(0);
    expect(u.out).toMatch(/^key: 00 00 00 00 {2}value: (11 ){11}11$/m);
    const n = await cli('map', 'update', prog('xdp_lb.o'), 'name', 'backends', 'key', '00 00 00 00', 'value', 'hex', ...Array(12).fill('11'), 'flags', 'noexist');
    expect(n.code).toBe(1);
    expect(n.err).toMatch(/EEXIST|exists/i);
    const l = await cli('map', 'lookup', prog('xdp_lb.o'), 'name', 'vips', 'key', ...Array(8).fill('00'));
    expect(l.code).toBe(1);
    expect(l.err).toMatch(/not found/);
  });

  it('a devmap value whose bpf_prog.fd names no SEC("xdp/devmap") program fails as the kernel\'s update (EINVAL)', async () => {
    const u = await cli('map', 'update', prog('xdp_devmap_egress.o'), 'name', 'tx_ports', 'key', '0 0 0 0', 'value', '1 0 0 0 99 0 0 0');
    expect([u.code, u.err]).toEqual([1, "wxdp map: map 'tx_ports': update: EINVAL (bpf_prog.fd 99 names no program here (Program.fd))\n"]);
  });

  it('rejects unknown maps and subcommands', async () => {
    expect((await cli('map', 'dump', prog('xdp_lb.o'), 'name', 'nope')).err).toMatch(/no map 'nope'/);
    expect((await cli('map', 'frob', prog('xdp_lb.o'))).code).toBe(2);
  });
});

describe('wxdp prog … type TYPE (bpftool prog load … type, libbpf\'s bpf_program__set_type)', () => {
  const odd = join(root, 'tests', 'cli', 'fixtures', 'odd_section.o');
  // 14 bytes: destination 02:00:00:00:00:01, source 02:00:00:00:00:02, EtherType 0x0800
  const frame = Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]);

  it('an object whose section names no type loads nothing without it: exit 1, the note and the hint', async () => {
    const r = await cli('prog', 'load', odd);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "wxdp: note: program swap_macs (section xdp_swap): program type unspec (section 'xdp_swap' names none libbpf knows) is not supported by wxdp; skipped\n" +
        `wxdp prog: ${odd}: no program loaded (a section that names no type needs \`type TYPE\`, as bpftool prog load … type xdp)\n`,
    );
    const j = await cli('prog', 'load', odd, '--json');
    expect([j.code, JSON.parse(j.out).error.code]).toEqual([1, 'PROG_UNSUPPORTED']);
  });

  it('type xdp loads it as XDP; type with no such type is a usage error naming it', async () => {
    const r = await cli('prog', 'load', odd, 'type', 'xdp');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/^swap_macs: xdp {2}section xdp_swap .* verified/m);
    const bad = await cli('prog', 'load', odd, 'type', 'xdq');
    expect([bad.code, bad.err]).toEqual([2, `wxdp prog: ${odd}: program type 'xdq' is none libbpf knows (a section name such as xdp, xdp.frags, xdp/devmap, xdp/cpumap, sk_lookup)\n`]);
  });

  it.skipIf(!kernelAvailability().ok)('prog run … type xdp: the kernel\'s return value and packet (bpftool prog loadall … type xdp)', async () => {
    const k = loadKernelProgram(odd, { type: 'xdp', name: 'swap_macs' });
    let kr;
    try {
      kr = k.run({ data: frame });
    } finally {
      k.close();
    }
    const dataIn = join(tmp, 'odd_in.bin');
    const dataOut = join(tmp, 'odd_out.bin');
    writeFileSync(dataIn, frame);
    const r = await cli('prog', 'run', odd, 'type', 'xdp', 'data_in', dataIn, 'data_out', dataOut);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Return value: ${kr.retval}, duration`, 'm'));
    expect(kr.retval).toBe(3); // XDP_TX
    expect([...readFileSync(dataOut)]).toEqual([...kr.data]);
    expect([...readFileSync(dataOut)].slice(0, 12)).toEqual([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
  });
});
