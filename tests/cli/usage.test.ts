// The CLI's contract for people and scripts (issue 13): every command and subcommand has --help/-h and
// `wxdp help COMMAND [SUB]` (usage, options, an example); unknown flags and stray words are one-line
// usage errors (exit 2); files that cannot be read or written are one line naming the file and the
// errno, found before any loading; --json turns every error into {"error":{"code","message"}} on stdout;
// a command that ran nothing fails; keys and values are read as bpftool's parse_bytes reads them.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { COMMANDS, helpText } from '../../src/cli/help.js';
import { loadingLine } from '../../src/cli/prog.js';
import { parseBytes } from '../../src/cli/byte_words.js';
import { parseObject } from '../../src/elf/index.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const root = new URL('../../', import.meta.url).pathname;
const prog = (name: string) => join(root, 'programs', name);
const pkt = (file: string) => join(root, 'programs', 'corpus', file);
const tmp = mkdtempSync(join(tmpdir(), 'wxdp-usage-'));
const missingDir = join(tmp, 'no-such-dir');
/** One line on stderr: the message and its newline, nothing after (no stack trace). */
const oneLine = (s: string) => expect(s.trimEnd().split('\n')).toHaveLength(1);

const SUBS: Array<[string, string?]> = [
  ...COMMANDS.map((c): [string] => [c]),
  ...['show', 'load', 'dump', 'run', 'list', 'attach', 'detach'].map((s): [string, string] => ['prog', s]),
  ...['dump', 'lookup', 'update', 'show', 'delete', 'push', 'enqueue', 'pop', 'dequeue', 'peek'].map((s): [string, string] => ['map', s]),
];

describe('help', () => {
  it('every command and subcommand: wxdp help X [SUB], --help and -h print usage, options and an example', async () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(['conformance', 'asm', 'disasm', 'exec', 'prog', 'map', 'run', 'ip', 'up', 'link', 'stats', 'bench']));
    for (const [cmd, sub] of SUBS) {
      const words = sub ? [cmd, sub] : [cmd];
      const text = helpText(cmd, sub)!;
      expect(text, words.join(' ')).toMatch(/^usage: wxdp /);
      expect(text, words.join(' ')).toMatch(/\nexample: wxdp /);
      for (const argv of [['help', ...words], [...words, '--help'], [...words, '-h']]) {
        const r = await cli(...argv);
        expect(r.code, argv.join(' ')).toBe(0);
        expect(r.out, argv.join(' ')).toBe(text);
      }
    }
    // the subcommand's own text, not the command's; -h is not taken for a file
    expect((await cli('prog', 'show', '-h')).out).toMatch(/^usage: wxdp prog show OBJ\.o/);
    expect((await cli('run', '--help')).out).toMatch(/--map-update/);
    expect((await cli('help', 'prog', 'run')).out).toMatch(/Return value: N, duration: Mns/);
  });

  it('help for an unknown command is a usage error', async () => {
    const r = await cli('help', 'frob');
    expect(r.code).toBe(2);
    oneLine(r.err);
  });
});

describe('unknown flags and stray words: one line, exit 2', () => {
  const cases: string[][] = [
    ['prog', 'show', prog('xdp_pass_drop.o'), '--jsn'],
    ['prog', 'show', prog('xdp_pass_drop.o'), 'extra'],
    ['prog', 'load', prog('xdp_pass_drop.o'), '--log', '3'],
    ['prog', 'dump', prog('xdp_pass_drop.o'), '--frob'],
    ['prog', 'run', prog('xdp_pass_drop.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'), '--jsn'],
    ['prog', 'run', prog('xdp_pass_drop.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'), 'stray'],
    ['map', 'dump', prog('xdp_globals.o'), 'name', '.rodata', '--jsn'],
    ['map', 'dump', prog('xdp_globals.o'), 'name', '.rodata', 'stray'],
    ['map', 'lookup', prog('xdp_lb.o'), 'name', 'vips', 'key', '0', '0', '0', '0', '0', '0', '0', '0', 'value', '1'],
    ['run', prog('xdp_pass_drop.o'), '--in', 'x.pcap', '--frob'],
    ['run', prog('xdp_pass_drop.o'), 'stray', '--in', 'x.pcap'],
    ['exec', 'x.s', '--frob'],
    ['asm', 'x.s', 'y.s'],
    ['disasm', 'x.bin', '--frob'],
    ['conformance', tmp, '--frob'],
    ['bench', '--frob'],
    // the live commands refuse before connecting
    ['prog', 'list', '--frob', '--socket', join(tmp, 'none.sock')],
    ['prog', 'attach', prog('xdp_pass_drop.o'), 'dev', 'eth0', '--frob', '--socket', join(tmp, 'none.sock')],
    ['map', 'show', '--frob', '--socket', join(tmp, 'none.sock')],
    ['map', 'dump', 'name', 'x', '--frob', '--socket', join(tmp, 'none.sock')],
    ['link', 'show', '--frob', '--socket', join(tmp, 'none.sock')],
    ['stats', '--frob', '--socket', join(tmp, 'none.sock')],
    ['up', 'x.json', '--frob'],
  ];
  for (const argv of cases) {
    it(argv.slice(0, 2).join(' ') + ' … ' + argv.slice(-1)[0], async () => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(new RegExp(`^wxdp ${argv[0]}: (unknown option|unexpected argument|--log)`));
      expect(r.out).toBe('');
    });
  }

  it('names the option and the range it has', async () => {
    expect((await cli('prog', 'show', prog('xdp_pass_drop.o'), '--jsn')).err).toMatch(/unknown option '--jsn'/);
    expect((await cli('prog', 'load', prog('xdp_pass_drop.o'), '--log', '3')).err).toMatch(/--log takes 1 or 2, not '3'/);
    expect((await cli('run', prog('xdp_pass_drop.o'), '--in', 'x.pcap', '--frob')).err).toMatch(/unknown option '--frob'/);
    expect((await cli('run', prog('xdp_pass_drop.o'), '--in', 'x.pcap', '--mtu', '9000')).err).toMatch(/--mtu must be 68\.\.\d+, not '9000'/);
    expect((await cli('prog', 'run', prog('xdp_pass_drop.o'), 'data_in', 'x', 'repeat', '0')).err).toMatch(/repeat must be 1\.\.4294967295/);
  });
});

describe('names checked before loading', () => {
  // sk_lookup_leak.o is an object the verifier refuses: an error about anything else came before its load
  const refused = prog('sk_lookup_leak.o');

  it('the object really is refused at load', async () => {
    expect((await cli('prog', 'load', refused)).code).toBe(1);
  });

  it('prog run name nope, --map-update on a map that is not there, data_out that cannot be written', async () => {
    const p = parseObject(readFileSync(refused), { path: refused });
    const n = await cli('prog', 'run', refused, 'name', 'nope', 'data_in', pkt('01-ipv4-udp-dns.bin'));
    expect(n.code).toBe(1); // not a usage error: the object has no such program (NOT_FOUND)
    const nj = await cli('prog', 'run', refused, 'name', 'nope', 'data_in', pkt('01-ipv4-udp-dns.bin'), '--json');
    expect(JSON.parse(nj.out).error.code).toBe('NOT_FOUND');
    expect(n.err).toContain(`no program 'nope' in ${refused} (programs: ${p.programs.map((x) => x.name).join(', ')})`);
    const m = await cli('prog', 'run', refused, 'data_in', pkt('01-ipv4-udp-dns.bin'), '--map-update', 'nope', '0', '0');
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/--map-update: no map 'nope'/);
    const o = await cli('prog', 'run', refused, 'data_in', pkt('01-ipv4-udp-dns.bin'), 'data_out', join(missingDir, 'out.bin'));
    expect(o.code).toBe(1);
    oneLine(o.err);
    expect(o.err).toBe(`wxdp prog: data_out: cannot write '${join(missingDir, 'out.bin')}': ENOENT\n`);
  });

  it('--ip-batch files and --sysctl words before loading', async () => {
    const b = await cli('prog', 'run', refused, 'data_in', pkt('01-ipv4-udp-dns.bin'), '--ip-batch', join(tmp, 'none.batch'));
    expect(b.code).toBe(2);
    expect(b.err).toBe(`wxdp prog: cannot read '${join(tmp, 'none.batch')}': ENOENT\n`);
    const s = await cli('prog', 'run', refused, 'data_in', pkt('01-ipv4-udp-dns.bin'), '--sysctl', 'net.ipv4.ip_forward');
    expect(s.err).toBe("wxdp prog: --sysctl takes NAME=VALUE, not 'net.ipv4.ip_forward'\n");
  });

  it('key and value sizes against the map before loading', async () => {
    const r = await cli('prog', 'run', prog('xdp_lpm_firewall.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'), '--map-update', 'block_v4', '24 0 0 0', '1 0 0 0 9 0 0 0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/key is 4 bytes, the map's are 8/);
  });
});

describe('files: one line with the file and the errno', () => {
  it('--out, -o, --mem-file, data_in, a directory as output', async () => {
    const src = join(tmp, 'p.s');
    writeFileSync(src, 'r0 = 2\nexit\n');
    const a = await cli('asm', src, '-o', join(missingDir, 'p.bin'));
    expect(a.code).toBe(1);
    expect(a.err).toBe(`wxdp asm: -o: cannot write '${join(missingDir, 'p.bin')}': ENOENT\n`);
    const d = await cli('asm', src, '-o', tmp);
    expect(d.err).toBe(`wxdp asm: -o: cannot write '${tmp}': EISDIR\n`);
    const m = await cli('exec', src, '--mem-file', join(tmp, 'nope.bin'));
    expect(m.code).toBe(1);
    expect(m.err).toBe(`wxdp exec: --mem-file: cannot read '${join(tmp, 'nope.bin')}': ENOENT\n`);
    const pcap = join(tmp, 'one.pcap');
    const { writePcap } = await import('../../src/pcap/index.js');
    writeFileSync(pcap, writePcap([{ data: new Uint8Array(readFileSync(pkt('01-ipv4-udp-dns.bin'))) }]));
    const r = await cli('run', prog('sk_lookup_leak.o'), '--in', pcap, '--out', join(missingDir, 'o.pcapng'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`wxdp run: --out: cannot write '${join(missingDir, 'o.pcapng')}': ENOENT\n`);
  });
});

describe('--json errors', () => {
  it('are {"error":{"code","message"}} on stdout, with the exit status of the error', async () => {
    const u = await cli('prog', 'show', prog('xdp_pass_drop.o'), '--jsn', '--json');
    expect(u.code).toBe(2);
    expect(JSON.parse(u.out)).toEqual({ error: { code: 'USAGE', message: "unknown option '--jsn'" } });
    const f = await cli('prog', 'show', join(tmp, 'none.o'), '--json');
    expect(f.code).toBe(1);
    expect(JSON.parse(f.out)).toEqual({ error: { code: 'IO', message: `cannot read '${join(tmp, 'none.o')}': ENOENT` } });
    const v = await cli('prog', 'load', prog('sk_lookup_leak.o'), '--json');
    expect(v.code).toBe(1);
    expect(JSON.parse(v.out).error.code).toBe('VERIFIER_REJECTED');
    expect(v.err).toBe('');
    const n = await cli('map', 'lookup', prog('xdp_lb.o'), 'name', 'vips', 'key', ...Array(8).fill('0'), '--json');
    expect(n.code).toBe(1);
    expect(JSON.parse(n.out).error.code).toBe('MAP_NOT_FOUND');
  });

  it('ip --json: a refused command in the same shape, with ip\'s exit status', async () => {
    const plain = await cli('ip', 'frob');
    const r = await cli('ip', '--json', 'frob');
    expect(r.code).toBe(plain.code);
    expect(r.code).not.toBe(0);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toEqual({ error: { code: 'IP_SYNTAX', message: plain.err.trim() } });
  });

  it('asm and disasm have --json too', async () => {
    const src = join(tmp, 'j.s');
    writeFileSync(src, 'r0 = 2\nexit\n');
    expect(JSON.parse((await cli('asm', src, '--json')).out)).toEqual({ insns: 2, bytes: 'b7000000020000009500000000000000', out: null });
    const bin = join(tmp, 'j.bin');
    writeFileSync(bin, Buffer.from('b7000000020000009500000000000000', 'hex'));
    expect(JSON.parse((await cli('disasm', bin, '--json')).out)).toEqual({ insns: [{ index: 0, text: 'r0 = 2' }, { index: 1, text: 'exit' }] });
  });
});

describe('a command that ran nothing fails', () => {
  it('conformance on a directory without vectors', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const r = await cli('conformance', empty);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no \.data vectors in .*nothing ran/);
  });

  it('bench --only that matches no row', async () => {
    const r = await cli('bench', 'programs', '--quick', '--only', 'no-such-program');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--only 'no-such-program' matches no programs row: nothing ran/);
    const j = await cli('bench', 'programs', '--quick', '--only', 'no-such-program', '--json');
    expect(JSON.parse(j.out).error.code).toBe('USAGE');
  });
});

describe('bytes as bpftool reads them', () => {
  it('decimal, 0x hex and 0 octal words; hex after the hex keyword; one compact hex word', () => {
    // bpftool map.c parse_bytes: strtoul(argv[i], &endptr, base), base 0 unless the first word is "hex"
    expect([...parseBytes(['192', '0', '2', '1'], 'key')]).toEqual([192, 0, 2, 1]);
    expect([...parseBytes(['0xc0', '010', '10', '0'], 'key')]).toEqual([0xc0, 8, 10, 0]);
    expect([...parseBytes(['hex', 'c0', '10', '0x2', 'ff'], 'key')]).toEqual([0xc0, 0x10, 2, 0xff]);
    expect([...parseBytes(['c0000201'], 'key')]).toEqual([0xc0, 0, 2, 1]);
    expect([...parseBytes(['1 0 0 0'], 'key')]).toEqual([1, 0, 0, 0]);
    expect(() => parseBytes(['c0'], 'key')).toThrow(/error parsing byte 'c0' \(hex needs 0x or the word 'hex' first\)/);
    expect(() => parseBytes(['256'], 'key')).toThrow(/byte '256' is over 255/);
    expect(() => parseBytes(['08'], 'key')).toThrow(/error parsing byte '08'/);
  });

  it('map lookup and prog run --map-update take them', async () => {
    const u = await cli('map', 'update', prog('xdp_lb.o'), 'name', 'backends', 'key', '0', '0', '0', '0', 'value', 'hex', ...Array(12).fill('11'));
    expect(u.code, u.err).toBe(0);
    expect(u.out).toMatch(/^key: 00 00 00 00 {2}value: (11 ){11}11$/m);
    // 198.51.100.0/24 → XDP_DROP, rule 9, in decimal words (as prog.test.ts does in compact hex)
    const r = await cli('prog', 'run', prog('xdp_lpm_firewall.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'), '--map-update', 'block_v4', '24 0 0 0 198 51 100 0', '1 0 0 0 9 0 0 0', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).retval).toBe(1);
  });
});

describe('prog run output', () => {
  it('data_out - prints the packet to stdout; --json keeps numbers as numbers', async () => {
    const r = await cli('prog', 'run', prog('xdp_pass_drop.o'), 'name', 'xdp_drop', 'data_in', pkt('01-ipv4-udp-dns.bin'), 'repeat', '3', '--json');
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ program: 'xdp_drop', retval: 1, repeat: 3 });
    expect(typeof j.duration).toBe('number');
    // bpftool: nothing but the line without data_out; with "data_out -" its hex_print first (layout
    // derived by hand from bpftool's prog.c: offset, tab, byte pairs, "| ", ASCII with a gap after 8)
    const bare = await cli('prog', 'run', prog('xdp_pass_drop.o'), 'data_in', pkt('01-ipv4-udp-dns.bin'));
    expect(bare.out).toMatch(/^Return value: 2, duration: \d+ns\n$/);
    const data = join(tmp, 'abc.bin');
    writeFileSync(data, Uint8Array.from([...Buffer.from('ABCDEFGHIJKLMNOP'), 0x00, 0x7f]));
    const d = await cli('prog', 'run', prog('xdp_pass_drop.o'), 'data_in', data, 'data_out', '-');
    const rows = '0000000\t4142 4344 4546 4748 494a 4b4c 4d4e 4f50 | ABCDEFGH IJKLMNOP\n' + `0000010\t007f ${' '.repeat(35)}| ..\n`;
    expect(d.out.slice(0, rows.length)).toBe(rows);
    expect(d.out.slice(rows.length)).toMatch(/^Return value: 2, duration: \d+ns\n$/);
  });

  it('a long load says what it does on stderr', () => {
    const path = prog('xdp_pass_drop.o');
    const spec = parseObject(readFileSync(path), { path });
    expect(loadingLine(path, spec, { verify: true, engine: 'jit' }, 1)).toBe(`wxdp: ${path}: verifying and compiling 2 programs (${spec.programs.reduce((n, p) => n + p.insns.length, 0)} instructions)…\n`);
    expect(loadingLine(path, spec, { verify: false, engine: 'interp' }, 1)).toMatch(/: loading 2 programs/);
    expect(loadingLine(path, spec, { verify: true, engine: 'jit' }, 1e9)).toBe(process.stderr.isTTY ? expect.any(String) : undefined);
  });
});
