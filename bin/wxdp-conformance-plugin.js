#!/usr/bin/env node
// The plugin protocol of the upstream bpf_conformance runner: program bytes hex-encoded on stdin,
// input memory hex-encoded as the first argument, r0 in hex on stdout.
import { entry } from './entry.js';

const { plugin } = await import(entry('plugin.js', 'cli/plugin.js'));

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
process.exitCode = await plugin(process.argv.slice(2), input, {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
