// `wxdp ip`, and `--ip-batch` / `--sysctl` on `wxdp run` and `wxdp prog run`, in-process through
// main(). Expected text follows iproute2's print_rule / print_route (checked against the ip of this
// machine in tests/net/ip_kernel.test.ts); the bpf_fib_lookup answers are the kernel's codes
// (include/uapi/linux/bpf.h: BPF_FIB_LKUP_RET_BLACKHOLE 1, FWD_DISABLED 5).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { progressBar } from '../../src/cli/stack.js';
import { Datapath } from '../../src/control/datapath.js';
import { writePcap } from '../../src/pcap/index.js';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'wxdp-ip-'));
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

/** Ring devices have netdev records once dp.links has landed; until then the FIB helper's answer is -ENODEV. */
const linksReady = await (async () => {
  const dp = await Datapath.create();
  try {
    dp.addDevice({ name: 'eth0' });
    return dp.links.ifindex('eth0') > 0;
  } catch {
    return false;
  }
})();

const RULES = file('rules.batch', 'rule add from 192.0.2.0/24 lookup 100 pref 10\nroute add blackhole 198.51.100.0/24 table 100\n# a comment line\nroute add unreachable 203.0.113.0/24 metric 5\n');

describe('wxdp ip', () => {
  it('--help prints the usage; nothing to do is a usage error', async () => {
    const h = await cli('ip', '--help');
    expect([h.code, h.out]).toEqual([0, expect.stringMatching(/^usage: wxdp ip \[ -j \]/)]);
    const none = await cli('ip');
    expect([none.code, none.err]).toEqual([2, expect.stringMatching(/^wxdp ip: nothing to do: give -batch FILE and\/or a command/)]);
    expect((await cli('help')).out).toMatch(/\n {2}ip \[-j\] \[-4\|-6\] \[-batch FILE\]/);
  });

  it('builds the stack from -batch, then shows it as ip prints it', async () => {
    const r = await cli('ip', '-batch', RULES, 'rule', 'show');
    expect([r.code, r.err, r.out]).toEqual([0, '', '0:\tfrom all lookup local\n10:\tfrom 192.0.2.0/24 lookup 100\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n']);
    const t = await cli('ip', '-batch', RULES, 'ro', 'sh', 'table', 'all');
    expect(t.out).toBe('blackhole 198.51.100.0/24 table 100 \nunreachable 203.0.113.0/24 metric 5 \n');
  });

  it('-j prints iproute2 JSON; --json the CLI shape around it', async () => {
    const j = await cli('ip', '-j', '-batch', RULES, 'route', 'show', 'table', '100');
    expect(j.out).toBe('[{"type":"blackhole","dst":"198.51.100.0/24","flags":[]}]\n');
    const w = await cli('ip', '--json', '-batch', RULES, 'route', 'show', 'table', '100');
    expect(JSON.parse(w.out)).toEqual({ batch: { file: RULES, commands: 3 }, command: 'route show table 100', result: [{ type: 'blackhole', dst: '198.51.100.0/24', flags: [] }] });
  });

  it('a refused batch line: ip\'s words, "Command failed FILE:LINE" and ip\'s exit status', async () => {
    const dup = file('dup.batch', 'rule add pref 5 table 7\nrule add pref 5 table 7\nrule add pref 6 table 7\n');
    const r = await cli('ip', '-batch', dup, 'rule', 'show');
    expect([r.code, r.err, r.out]).toEqual([1, `RTNETLINK answers: File exists\nCommand failed ${dup}:2\n`, '']);
    // a parse error ends ip without naming the line; wxdp names it too
    const bad = file('bad.batch', 'rule add pref 5 table 7\nroute add bogus dev lo\n');
    const p = await cli('ip', '-batch', bad);
    expect([p.code, p.err]).toEqual([1, `Error: any valid prefix is expected rather than "bogus".\nCommand failed ${bad}:2\n`]);
    // -force goes on past refused lines and exits 1
    const f = await cli('ip', '-force', '-batch', dup);
    expect([f.code, f.err]).toEqual([1, `RTNETLINK answers: File exists\nCommand failed ${dup}:2\n`]);
  });

  it('a bad option or command fails as ip does', async () => {
    const o = await cli('ip', '-x', 'route');
    expect([o.code, o.err]).toEqual([255, 'Option "-x" is unknown, try "ip -help".\n']);
    const c = await cli('ip', 'route', 'frob');
    expect([c.code, c.err]).toEqual([255, 'Command "frob" is unknown, try "ip route help".\n']);
    const m = await cli('ip', '-batch', join(tmp, 'missing.batch'));
    expect([m.code, m.err]).toEqual([2, `wxdp ip: cannot read '${join(tmp, 'missing.batch')}': ENOENT\n`]);
  });

  it('shows a progress bar for a long batch when stderr is a terminal', () => {
    const long = 'rule add pref 1 table 7\n'.repeat(20_000);
    const was = process.stderr.isTTY;
    let text = '';
    try {
      process.stderr.isTTY = false;
      expect(progressBar('f', long, (s) => (text += s)).onProgress).toBeUndefined();
      process.stderr.isTTY = true;
      expect(progressBar('f', 'rule add pref 1 table 7\n', (s) => (text += s)).onProgress).toBeUndefined();
      const p = progressBar('big.batch', long, (s) => (text += s)).onProgress!;
      p(5000, 20000);
      p(20000, 20000);
    } finally {
      process.stderr.isTTY = was;
    }
    expect(text).toMatch(/^\rbig\.batch \[######\.{19}\] 25% 5000\/20000 lines \d+\.\ds\rbig\.batch \[#{25}\] 100% 20000\/20000 lines \d+\.\ds\n$/);
  });

  it('--sysctl applies in order with -batch, with sysctl(8) errors', async () => {
    const r = await cli('ip', '--sysctl', 'net.ipv4.fib_multipath_hash_policy=1', '-batch', RULES, 'rule', 'show', 'pref', '10');
    expect([r.code, r.out]).toEqual([0, '10:\tfrom 192.0.2.0/24 lookup 100\n']);
    const e = await cli('ip', '--sysctl', 'net.ipv4.foo=1', '-batch', RULES);
    expect([e.code, e.err]).toEqual([2, 'wxdp ip: --sysctl net.ipv4.foo=1: sysctl: cannot stat /proc/sys/net/ipv4/foo: No such file or directory (ENOENT)\n']);
    const v = await cli('ip', '--sysctl', 'net.ipv4.ip_default_ttl=0', 'rule', 'show');
    expect([v.code, v.err]).toEqual([2, 'wxdp ip: --sysctl net.ipv4.ip_default_ttl=0: sysctl: setting key "net.ipv4.ip_default_ttl": Invalid argument (EINVAL)\n']);
    const s = await cli('ip', '--sysctl', 'net.ipv4.ip_forward', 'rule', 'show');
    expect([s.code, s.err]).toEqual([2, "wxdp ip: --sysctl takes NAME=VALUE, not 'net.ipv4.ip_forward'\n"]);
  });
});

/** A bpf_fib_lookup question for fib_probe: IPv4, ifindex 2 (eth0), 192.0.2.9 → 198.51.100.7, table 100 (DIRECT|TBID). */
function probe(): Uint8Array {
  const b = new Uint8Array(80);
  const v = new DataView(b.buffer);
  b[0] = 2;
  v.setUint32(8, 2, true);
  b.set([192, 0, 2, 9], 16);
  b.set([198, 51, 100, 7], 32);
  v.setUint32(48, 100, true);
  v.setUint32(64, 1 | 8, true);
  return b;
}

describe('--ip-batch and --sysctl on wxdp prog run', () => {
  it('--help, and the stack summary in the text and --json outputs', async () => {
    const h = await cli('prog', 'run', '--help');
    expect([h.code, h.out]).toEqual([0, expect.stringMatching(/--sysctl NAME=VALUE\]\.\.\. \[--ip-batch FILE\]\.\.\./)]);
    const data = file('probe.bin', probe());
    const r = await cli('prog', 'run', join(root, 'programs/fib_probe.o'), 'data_in', data, '--devices', '1', '--sysctl', 'net.ipv4.ip_forward=1', '--ip-batch', RULES, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).stack).toEqual({ batches: [{ file: RULES, commands: 3 }], sysctls: { 'net.ipv4.ip_forward': 1 } });
    const t = await cli('prog', 'run', join(root, 'programs/fib_probe.o'), 'data_in', data, '--ip-batch', RULES, '--sysctl', 'net.ipv4.ip_forward=1');
    expect(t.out.split('\n')[0]).toBe(`stack: 3 commands from ${RULES}, net.ipv4.ip_forward=1`);
  });

  it('a failing batch line is one line naming the file, the line and the errno', async () => {
    const dup = file('dup2.batch', 'rule add pref 5 table 7\nrule add pref 5 table 7\n');
    const r = await cli('prog', 'run', join(root, 'programs/fib_probe.o'), 'data_in', file('p2.bin', probe()), '--ip-batch', dup);
    expect([r.code, r.err]).toEqual([2, `wxdp prog: --ip-batch ${dup}:2: RTNETLINK answers: File exists (EEXIST)\n`]);
  });

  // the program's bpf_fib_lookup sees what the batch and the sysctls made (needs dp.links' netdev records)
  const name = 'the stack is configured before the run: bpf_fib_lookup answers BLACKHOLE, FWD_DISABLED without forwarding';
  (linksReady ? it : it.skip)(linksReady ? name : `${name} (skipped: dp.links has no netdev records yet)`, async () => {
    const data = file('probe3.bin', probe());
    const out = join(tmp, 'probe3.out');
    const on = await cli('prog', 'run', join(root, 'programs/fib_probe.o'), 'data_in', data, 'data_out', out, '--devices', '1', '--sysctl', 'net.ipv4.ip_forward=1', '--ip-batch', RULES);
    expect(on.code, on.err).toBe(0);
    expect(readFileSync(out).readInt32LE(68)).toBe(1);
    const off = await cli('prog', 'run', join(root, 'programs/fib_probe.o'), 'data_in', data, 'data_out', out, '--devices', '1', '--ip-batch', RULES);
    expect(off.code, off.err).toBe(0);
    expect(readFileSync(out).readInt32LE(68)).toBe(5);
  });
});

describe('--ip-batch and --sysctl on wxdp run', () => {
  const pcap = file('one.pcap', writePcap([{ data: new Uint8Array(64), timestampNs: 0n }]));

  it('--help; the stack summary in --json; a bad batch stops before the first frame', async () => {
    const h = await cli('run', '--help');
    expect([h.code, h.out]).toEqual([0, expect.stringMatching(/^usage: wxdp run OBJ\.o .*--ip-batch FILE\]\.\.\./)]);
    const r = await cli('run', join(root, 'programs/xdp_icmp_echo.o'), '--in', pcap, '--ip-batch', RULES, '--sysctl', 'net.ipv4.icmp_echo_ignore_all=1', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).stack).toEqual({ batches: [{ file: RULES, commands: 3 }], sysctls: { 'net.ipv4.icmp_echo_ignore_all': 1 } });
    const bad = file('bad2.batch', 'route add bogus dev lo\n');
    const b = await cli('run', join(root, 'programs/xdp_icmp_echo.o'), '--in', pcap, '--ip-batch', bad);
    expect([b.code, b.err, b.out]).toEqual([2, `wxdp run: --ip-batch ${bad}:1: Error: any valid prefix is expected rather than "bogus".\n`, '']);
  });
});
