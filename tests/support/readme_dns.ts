// The README's DNS responder ("A UDP service behind an XDP filter"): its `answer()` and the ZONE it reads,
// cut out of the README's code block and compiled on their own, so tests serve real resolvers (`dig`)
// with exactly the code the README shows — over node:dgram (tests/udp/readme_udp.test.ts) or over
// wxdp's sockets behind a link (tests/e2e/udp_service.test.ts).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readmeText } from './readme.js';

export const UDP_SERVICE_TITLE = '## A UDP service behind an XDP filter';

export type DnsAnswer = (query: Buffer) => Buffer | undefined;

/** The first ```ts block of the README's UDP service section. */
export function udpServiceBlock(): string {
  const readme = readmeText();
  const at = readme.indexOf(UDP_SERVICE_TITLE);
  const code = at < 0 ? undefined : /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (code === undefined) throw new Error(`README: no ts block under "${UDP_SERVICE_TITLE}"`);
  return code;
}

/** `answer()` (and `ZONE`) of `code` (default: the README's block), compiled on its own. */
export async function dnsAnswerOf(code = udpServiceBlock()): Promise<DnsAnswer> {
  const start = code.indexOf('const ZONE');
  const fn = code.indexOf('function answer(');
  if (start < 0 || fn < 0) throw new Error('README: the UDP service block has no ZONE or answer()');
  const end = code.indexOf('\n}\n', fn) + 3;
  const file = join(mkdtempSync(join(tmpdir(), 'wxdp-readme-dns-')), 'answer.ts');
  writeFileSync(file, code.slice(start, end) + '\nexport { answer };\n');
  return ((await import(/* @vite-ignore */ file)) as { answer: DnsAnswer }).answer;
}
