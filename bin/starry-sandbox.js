#!/usr/bin/env node
// starry-sandbox [options] -- PROGRAM [ARGS...]
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`starry-sandbox: ${e && e.stack ? e.stack : e}\n`);
    process.exit(125);
  },
);
