// The README's `wxdp up` example ("A software router with `wxdp up`") runs as written: its config and
// its service module are taken from the README, the daemon built from them in process, and a frame to a
// blocked prefix, one to the carved-out hole and a datagram to the echo service go through it.
// Expected: xdp_lpm_firewall's rules (its header: the longest prefix decides, each match counted in
// rule_hits by rule id), the router's TTL decrement, and the echo's counters by the kernel's names.

import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Daemon } from '../../src/control/daemon.js';
import { Poller } from '../../src/control/poller.js';
import { eth, ipv4, udp } from '../support/frames.js';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'wxdp-up-readme-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function block(lang: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const title = '## A software router with `wxdp up`';
  expect(readme).toContain(title);
  const section = readme.slice(readme.indexOf(title));
  const b = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section)?.[1];
  expect(b).toBeDefined();
  return b!;
}

it('the README router config and echo service run as written', async () => {
  const cfg = JSON.parse(block('json')) as { socket: string };
  // the socket goes under the test's directory, the rest as written; programs/ is this checkout's
  cfg.socket = join(tmp, 'wxdp.sock');
  writeFileSync(join(tmp, 'router.json'), JSON.stringify(cfg));
  writeFileSync(join(tmp, 'echo.mjs'), block('js'));
  symlinkSync(join(root, 'programs'), join(tmp, 'programs'));
  const log: string[] = [];
  const d = await Daemon.start(join(tmp, 'router.json'), { log: (l) => void log.push(l) });
  try {
    expect(log).toContain('echo: echo on 192.0.2.1:7');
    const dp = d.dp;
    const lan0 = dp.device('lan0');
    const host = '02:00:00:00:02:00';
    const to = (dst: string, dport: number) => eth('02:00:00:00:01:00', host, 0x0800, ipv4({ src: '192.0.2.100', dst, proto: 17, payload: udp('192.0.2.100', dst, 40000, dport, Uint8Array.of(1, 2, 3, 4)) }));
    lan0.inject(to('203.0.113.5', 9)); // 203.0.113.0/24: rule 1, drop
    lan0.inject(to('203.0.113.200', 9)); // 203.0.113.128/25: rule 2, allow → routed by default via 198.51.100.2
    lan0.inject(to('192.0.2.1', 7)); // the echo service
    Poller.of(dp).kick();
    for (let i = 0; i < 500 && dp.stack.mib()['Udp:InDatagrams'] !== 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lan0.stats().verdicts).toMatchObject({ XDP_DROP: 1, XDP_PASS: 2 });
    expect(dp.stack.mib()['Udp:InDatagrams']).toBe(1);
    expect(dp.stack.mib()['Ip:ForwDatagrams']).toBe(1);
    // the live maps through the socket: rule_hits by rule id, the blocklist BTF-formatted
    let out = '';
    const io = { out: (s: string) => void (out += s), err: (s: string) => void (out += s) };
    expect(await main(['map', 'lookup', 'name', 'rule_hits', 'key', 'json', '1', '--socket', cfg.socket, '--json'], io)).toBe(0);
    expect(JSON.parse(out).formatted.value).toBe(1);
    out = '';
    expect(await main(['map', 'dump', 'name', 'block_v4', '--socket', cfg.socket, '--json'], io)).toBe(0);
    const entries = (JSON.parse(out).entries as Array<{ key: string; value: string; formatted: unknown }>).sort((a, b) => a.key.localeCompare(b.key));
    expect(entries).toEqual([
      { key: '18000000cb007100', value: '0100000001000000', formatted: { key: { prefixlen: 24, addr: [203, 0, 113, 0] }, value: { action: 1, id: 1 } } },
      { key: '19000000cb007180', value: '0000000002000000', formatted: { key: { prefixlen: 25, addr: [203, 0, 113, 128] }, value: { action: 0, id: 2 } } },
    ]);
  } finally {
    await d.shutdown('test end');
  }
});
