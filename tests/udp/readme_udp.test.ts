// The README's UDP service example ("A UDP service behind an XDP filter") runs as written: the fenced
// block is extracted, pointed at this checkout instead of the installed package, and imported (its
// asserts are the test: the DNS answer byte for byte, the filter's counters, the server's UDP MIBs).
// Then the bytes the example expects are read by a real resolver: `dig` queries a node:dgram socket on
// 127.0.0.1 that answers with exactly those bytes (dig's own ID put in), and must print them as a DNS
// answer — so the hand-derived response is one a real DNS client takes, independently of wxdp. And the
// example's answer() on node:dgram answers dig's own queries (A, NXDOMAIN, REFUSED) as it should.

import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { root } from '../datapath/support.js';
import { dnsAnswerOf } from '../support/readme_dns.js';
import { inCheckout } from '../support/readme.js';

const TITLE = '## A UDP service behind an XDP filter';

function block(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  expect(readme).toContain(TITLE);
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(TITLE)))?.[1];
  expect(code).toBeDefined();
  return code!;
}

/** The example's expected answer, as its hex literal pieces. */
function expectedAnswer(code: string): Buffer {
  const m = /const expected = Buffer\.from\(((?:'[0-9a-f]+'(?: \+ )?)+), 'hex'\)/.exec(code);
  expect(m).not.toBeNull();
  return Buffer.from([...m![1]!.matchAll(/'([0-9a-f]+)'/g)].map((x) => x[1]).join(''), 'hex');
}

const run = promisify(execFile);
async function digAvailable(): Promise<string> {
  try {
    await run('dig', ['-v']);
    return '';
  } catch {
    return 'dig is not installed (Debian: bind9-dnsutils)';
  }
}
const noDig = await digAvailable();

/** `dig` against a node:dgram socket on 127.0.0.1 whose replies `respond` makes from dig's query. */
async function dig(args: string[], respond: (q: Buffer) => Buffer | undefined): Promise<string> {
  const s = createSocket('udp4');
  s.on('message', (q, r) => {
    const a = respond(q);
    if (a) s.send(a, r.port, r.address);
  });
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  try {
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(s.address().port), '+noedns', '+tries=1', '+time=2', ...args], { timeout: 10_000 });
    return stdout;
  } finally {
    s.close();
  }
}

describe('the README UDP service example', () => {
  it('runs as written: the DNS answer byte for byte behind xdp_dns_filter, over a wire between two Datapaths', async () => {
    const code = block();
    expect(code).toContain("from 'wxdp'");
    expect(code).toContain("loadObject(import.meta.resolve('wxdp/programs/xdp_dns_filter.o'))");
    const file = join(mkdtempSync(join(tmpdir(), 'wxdp-readme-udp-')), 'example.ts');
    writeFileSync(file, inCheckout(code));
    const cwd = process.cwd();
    process.chdir(root);
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);

  it.skipIf(noDig !== '')(`has answer bytes dig reads as www.example.test A 192.0.2.80, TTL 300, authoritative${noDig ? ` (skipped: ${noDig})` : ''}`, async () => {
    const expected = expectedAnswer(block());
    // dig's query carries its own ID: the canned answer takes it, the rest stays byte for byte
    const out = await dig(['www.example.test', 'A'], (q) => Buffer.concat([q.subarray(0, 2), expected.subarray(2)]));
    expect(out).toMatch(/->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+/);
    expect(out).toMatch(/;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0/);
    expect(out).toMatch(/^www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.80$/m);
    expect(out).not.toMatch(/WARNING: .*(mismatch|malformed)|Warning: Message parser/i);
  }, 30_000);

  it.skipIf(noDig !== '')(`has an answer() that answers dig on node:dgram: A, NXDOMAIN in the zone, REFUSED outside it${noDig ? ` (skipped: ${noDig})` : ''}`, async () => {
    const answer = await dnsAnswerOf(block());
    const a = await dig(['WWW.Example.TEST', 'A'], answer); // names compare case-insensitively (RFC 4343)
    expect(a).toMatch(/status: NOERROR/);
    expect(a).toMatch(/;; flags: qr aa rd; QUERY: 1, ANSWER: 1,/);
    expect(a).toMatch(/^WWW\.Example\.TEST\.\s+300\s+IN\s+A\s+192\.0\.2\.80$/m);
    const nx = await dig(['nope.example.test', 'A'], answer);
    expect(nx).toMatch(/status: NXDOMAIN/);
    expect(nx).toMatch(/;; flags: qr aa rd; QUERY: 1, ANSWER: 0,/);
    const nodata = await dig(['www.example.test', 'AAAA'], answer);
    expect(nodata).toMatch(/status: NOERROR/);
    expect(nodata).toMatch(/ANSWER: 0,/);
    const refused = await dig(['www.example.org', 'A'], answer);
    expect(refused).toMatch(/status: REFUSED/);
    expect(refused).toMatch(/;; flags: qr rd; QUERY: 1, ANSWER: 0,/);
  }, 30_000);
});
