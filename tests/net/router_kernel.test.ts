// wxdp against a Linux router: the same config (tests/net/fixtures/router.batch) applied to a router
// built of namespaces (ip -batch) and to wxdp (dp.ip's batch); the same frames sent into both (the
// kernel: AF_PACKET on the wire namespace; wxdp: injected on the device of the same name); what comes
// out of every port compared byte for byte, after the masks below. The cases are in router_cases.ts.
//
// First the harness is checked: the kernel's output for the cases with a hand-derived expectation
// (RFC 791/1812/4443 and the kernel's documented choices) must match it — so a mismatch with wxdp
// later means wxdp, not the harness.

import { beforeAll, describe, expect, it } from 'vitest';
import { describeFrame, hex } from '../support/frames.js';
import { useNamespaces } from '../support/netns.js';
import { pythonAvailability } from '../support/afpacket.js';
import { KernelRouter, parseRouterConfig, readRouterConfig, wxdpRouterReadiness, WxdpRouter, type PortOutput } from '../support/router.js';
import { masked, PORTS, ROUTER_CASES } from './router_cases.js';

/** Every port's frames, masked, as hex — what toEqual compares (and prints on a mismatch). */
function shown(out: PortOutput): Record<string, string[]> {
  const r: Record<string, string[]> = {};
  for (const p of PORTS) r[p.name] = (out[p.name] ?? []).map((f) => hex(masked(f)));
  return r;
}

const config = readRouterConfig(new URL('./fixtures/router.batch', import.meta.url));

describe('the router config format', () => {
  it('splits sysctl lines from the ip batch, keeping the batch\'s line numbers', () => {
    const c = parseRouterConfig('# x\nsysctl net.ipv4.ip_forward=1\nlink set dev eth0 up\n  sysctl  net.ipv4.icmp_ratelimit = 0\naddr add 192.0.2.1/24 dev eth0\n');
    expect(c.sysctls).toEqual([['net.ipv4.ip_forward', '1'], ['net.ipv4.icmp_ratelimit', '0']]);
    expect(c.batch.split('\n')).toEqual(['# x', '', 'link set dev eth0 up', '', 'addr add 192.0.2.1/24 dev eth0', '']);
  });

  it('refuses a sysctl line without NAME=VALUE, naming the line', () => {
    expect(() => parseRouterConfig('link set dev eth0 up\nsysctl net.ipv4.ip_forward\n')).toThrow(/router config line 2: expected 'sysctl NAME=VALUE'/);
  });

  it('the fixture sets forwarding, the multipath hash seed and no ICMP rate limits', () => {
    expect(Object.fromEntries(config.sysctls)).toMatchObject({
      'net.ipv4.conf.all.forwarding': '1',
      'net.ipv6.conf.all.forwarding': '1',
      'net.ipv4.fib_multipath_hash_seed': '1234567',
      'net.ipv4.icmp_ratelimit': '0',
      'net.ipv6.icmp.ratelimit': '0',
    });
  });
});

const nsa = useNamespaces('router');
const py = pythonAvailability();
const kernelReady = nsa.available.ok && py.ok;
if (nsa.available.ok && !py.ok) it.skip(`AF_PACKET helper unavailable: ${py.reason}`, () => {});

let kernel: KernelRouter;
let kernelOut: PortOutput[] = [];

describe.skipIf(!kernelReady)('the Linux router of namespaces (the harness against hand-derived frames)', () => {
  beforeAll(() => {
    kernel = KernelRouter.build(nsa.set, PORTS, config);
    kernelOut = kernel.run(ROUTER_CASES);
  }, 90_000);

  it('applies the config batch with ip -batch and the sysctls (forwarding on)', () => {
    expect(kernel.router.sysctlGet('net.ipv4.conf.all.forwarding')).toBe('1');
    expect(kernel.router.sysctlGet('net.ipv4.fib_multipath_hash_seed')).toBe('1234567');
    const rules = kernel.router.ipJson<Array<{ priority: number; table: string }>>('rule', 'show');
    expect(rules.map((r) => [r.priority, r.table])).toEqual([[0, 'local'], [1000, '100'], [32766, 'main'], [32767, 'default']]);
  });

  it('is quiet on the wire between cases (nothing but what the cases cause)', () => {
    expect(kernelOut).toHaveLength(ROUTER_CASES.length);
  });

  const withExpect = ROUTER_CASES.map((c, i) => ({ c, i })).filter(({ c }) => c.expect || c.check);
  it.each(withExpect.map(({ c, i }) => [c.name, i] as const))('%s', (_name, i) => {
    const c = ROUTER_CASES[i]!;
    const out = kernelOut[i]!;
    if (c.expect) expect(shown(out)).toEqual(shown(c.expect));
    c.check?.(out);
  });
});

const readiness = await wxdpRouterReadiness(PORTS, config);

describe.skipIf(!kernelReady || !readiness.ok)('wxdp against the Linux router, byte for byte (masks: IPv4 ID of its own packets, IPv6 flow label of its own packets)', () => {
  let wxdpOut: PortOutput[] = [];
  beforeAll(async () => {
    const w = await WxdpRouter.create(PORTS, config);
    wxdpOut = w.run(ROUTER_CASES);
  });

  it.each(ROUTER_CASES.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const k = shown(kernelOut[i]!);
    const w = shown(wxdpOut[i]!);
    if (JSON.stringify(k) !== JSON.stringify(w)) {
      const lines = PORTS.flatMap((p) => [
        `${p.name}: kernel ${k[p.name]!.length} frame(s), wxdp ${w[p.name]!.length}`,
        ...kernelOut[i]![p.name]!.map((f) => `  kernel ${describeFrame(f)}\n    ${hex(f)}`),
        ...(wxdpOut[i]![p.name] ?? []).map((f) => `  wxdp   ${describeFrame(f)}\n    ${hex(f)}`),
      ]);
      console.error(`${ROUTER_CASES[i]!.name}\n${lines.join('\n')}`);
    }
    expect(w).toEqual(k);
  });
});

if (!readiness.ok) it.todo(`wxdp side pending: ${readiness.reason}`);
