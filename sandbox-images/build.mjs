#!/usr/bin/env node
// Build the sandbox images: node sandbox-images/build.mjs [NAME|all]   (npm run images)
// Each image is built only when its outputs are missing or older than its sources.
import { ensureImage, imageNames } from './images.mjs';

const args = process.argv.slice(2);
if (args.some((a) => a === '-h' || a === '--help')) {
  console.log(`usage: node sandbox-images/build.mjs [${imageNames().join('|')}|all]   (default all)`);
  process.exit(0);
}
const wanted = args.length === 0 || args.includes('all') ? imageNames() : args;

for (const name of wanted) {
  try {
    const dir = await ensureImage(name, { log: (line) => console.log(line), verbose: true });
    console.log(`${name}: ready in ${dir}`);
  } catch (e) {
    console.error(`images: ${e.message}`);
    process.exit(1);
  }
}
