#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build` (run by `npm ci` via prepare),
// bundled for start-up when rolldown is installed (bin/entry.js says which one runs).
import { entry } from './entry.js';

const { main } = await import(entry('cli.js', 'cli/main.js'));

// `wxdp ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const code = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
process.exitCode = code;
