// The nft front end on the command line: `wxdp nft` (nft -f / list ruleset / -c / -a against a stack that
// lives for the command) and `--nft FILE` on `wxdp run` and `wxdp prog run`, in-process through main().
// Listings are nft 1.0.6's format (tests/nf/nft_text_kernel.test.ts holds wxdp's printer to nft's own).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { writePcap, LINKTYPE_RAW } from '../../src/pcap/index.js';
import { ipv4, pattern, udp } from '../support/frames.js';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'wx-nft15-cli-'));
const file = (name: string, text: string | Uint8Array): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const RULES = file('fwd.nft', 'table ip f {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tudp dport 54 counter drop\n\t}\n}\n');
const BAD = file('bad.nft', 'table ip f {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tudp dport 70000 drop\n\t}\n}\n');
const ROUTER = file('router.batch', 'addr add 192.0.2.1/24 dev eth0\naddr add 198.51.100.1/24 dev eth1\nlink set eth0 up\nlink set eth1 up\nneigh add 198.51.100.2 lladdr 02:00:00:00:00:99 dev eth1\n');
const pk = (dport: number): Uint8Array => ipv4({ src: '192.0.2.2', dst: '198.51.100.2', proto: 17, payload: udp('192.0.2.2', '198.51.100.2', 1000, dport, pattern(8)) });
const PCAP = file('two.pcap', writePcap([{ data: pk(53), timestampNs: 0n }, { data: pk(54), timestampNs: 1000n }], { linktype: LINKTYPE_RAW }));

describe('wxdp nft', () => {
  it('applies -f files and lists the ruleset as nft prints it (-a with handles)', async () => {
    const r = await cli('nft', '-f', RULES, 'list', 'ruleset');
    expect([r.code, r.err, r.out]).toEqual([0, '', 'table ip f {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tudp dport 54 counter packets 0 bytes 0 drop\n\t}\n}\n']);
    const a = await cli('nft', '-a', '-f', RULES, 'list', 'ruleset');
    expect(a.out).toBe('table ip f { # handle 1\n\tchain forward { # handle 1\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tudp dport 54 counter packets 0 bytes 0 drop # handle 2\n\t}\n}\n');
    const c = await cli('nft', '-c', '-f', RULES, 'list', 'ruleset');
    expect([c.code, c.out]).toEqual([0, '']);
  });

  it('refuses a bad file with nft\'s message and exit status 1', async () => {
    const r = await cli('nft', '-f', BAD);
    expect([r.code, r.out, r.err]).toEqual([1, '', `${BAD}:4:13-17: Error: Service out of range\n\t\tudp dport 70000 drop\n\t\t          ^^^^^\n`]);
    expect((await cli('help')).out).toMatch(/\n {2}nft \[-a\] \[-c\] \[-I DIR\]\.\.\. \[-f FILE\]/);
    expect((await cli('nft', '-f')).code).toBe(2);
  });

  it('includes a file from an -I directory and expands its defines (the listing nft 1.0.6 prints for it)', async () => {
    const inc = mkdtempSync(join(tmpdir(), 'wx-nft47-cli-'));
    writeFileSync(join(inc, 'ports.nft'), 'define ports = { 22, 53 }\n');
    const main = file('inc-main.nft', 'include "ports.nft"\ntable ip f {\n\tchain c {\n\t\tudp dport $ports drop\n\t}\n}\n');
    const r = await cli('nft', '-I', inc, '-f', main, 'list', 'ruleset');
    expect([r.code, r.err, r.out]).toEqual([0, '', 'table ip f {\n\tchain c {\n\t\tudp dport { 22, 53 } drop\n\t}\n}\n']);
    const missing = await cli('nft', '-f', main);
    expect([missing.code, missing.err]).toEqual([1, `${main}:1:1-20: Error: File not found: ports.nft\ninclude "ports.nft"\n^^^^^^^^^^^^^^^^^^^^\n`]);
  });
});

describe('--nft on wxdp run and wxdp prog run', () => {
  const pass = join(root, 'programs/xdp_pass_drop.o');
  it('filters what the stack forwards: the rule drops port 54, port 53 leaves by eth1', async () => {
    const base = ['run', pass, '--in', PCAP, '--ip-batch', ROUTER, '--sysctl', 'net.ipv4.ip_forward=1', '--json'];
    const without = JSON.parse((await cli(...base)).out);
    const withNft = await cli(...base, '--nft', RULES);
    expect(withNft.code, withNft.err).toBe(0);
    const j = JSON.parse(withNft.out);
    const eth1 = (x: { perInterface: Array<{ interface: string; frames: number }> }): number => x.perInterface.find((i) => i.interface === 'eth1 tx')!.frames;
    expect([eth1(without), eth1(j)]).toEqual([2, 1]);
    expect(j.stack.nft).toEqual([RULES]);
  });

  it('a bad nft file stops the command before the first frame, with nft\'s message', async () => {
    const r = await cli('run', pass, '--in', PCAP, '--ip-batch', ROUTER, '--nft', BAD);
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err).toContain(`${BAD}:4:13-17: Error: Service out of range`);
    const p = await cli('prog', 'run', pass, 'data_in', file('p.bin', pk(53)), '--nft', BAD);
    expect(p.code).toBe(1);
    expect(p.err).toContain('Error: Service out of range');
    expect((await cli('run', '--help')).out).toContain('--nft FILE');
  });

  it('reads an --nft file as nft -f does: its includes (absolute here; ./ from the working directory) and defines', async () => {
    const ports = file('ports54.nft', 'define drop_ports = { 54, 55 }\n');
    const main = file('fwd-inc.nft', `include "${ports}"\ntable ip f {\n\tchain forward {\n\t\ttype filter hook forward priority 0;\n\t\tudp dport $drop_ports drop\n\t}\n}\n`);
    const r = await cli('run', pass, '--in', PCAP, '--ip-batch', ROUTER, '--sysctl', 'net.ipv4.ip_forward=1', '--json', '--nft', main);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).perInterface.find((i: { interface: string }) => i.interface === 'eth1 tx').frames).toBe(1);
    const missing = file('fwd-missing.nft', 'include "./no-such-wx-nft47.nft"\n');
    const p = await cli('prog', 'run', pass, 'data_in', file('p2.bin', pk(53)), '--nft', missing);
    expect(p.code).toBe(1);
    expect(p.err).toContain(`${missing}:1:1-33: Error: File not found: ./no-such-wx-nft47.nft\ninclude "./no-such-wx-nft47.nft"\n${'^'.repeat(33)}\n`);
  });
});
