// Image recipes: programs built from source here, for running inside starry-sandbox.
//
//   import { ensureImage } from '<repo>/sandbox-images/images.mjs';
//   const dir = await ensureImage('tokio');   // builds when needed; dir holds the binaries
//
// Plain ESM for Node 20, no dependencies. The command line is build.mjs (npm run images).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = dirname(HERE);
export const OUT_ROOT = join(HERE, 'out');

/** Oldest cargo that builds the pinned crates (tokio 1.54 says rust-version 1.85). */
const MIN_CARGO = [1, 85];

/** The Cargo projects, by image name. Each binary of src/bin/NAME.rs lands in out/<image>/NAME. */
export const IMAGES = {
  tokio: { kind: 'cargo', dir: join(HERE, 'tokio') },
};

export function imageNames() {
  return Object.keys(IMAGES);
}

/** Where the image's files are (whether or not they are built yet). */
export function imageDir(name) {
  recipe(name);
  return join(OUT_ROOT, name);
}

function recipe(name) {
  const r = IMAGES[name];
  if (!r) throw new Error(`unknown image "${name}" (known: ${imageNames().join(', ')})`);
  return r;
}

/** Names of the binaries a Cargo project makes: one per src/bin/*.rs. */
function cargoBins(dir) {
  return readdirSync(join(dir, 'src', 'bin'))
    .filter((f) => f.endsWith('.rs'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Newest modification time among the files that decide the build. */
function newestSource(dir) {
  let newest = 0;
  const walk = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['Cargo.toml', 'Cargo.lock', 'src']) walk(join(dir, p));
  return newest;
}

/** Why the image must be (re)built, or null when every output is newer than every source. */
export function staleReason(name) {
  const r = recipe(name);
  const out = imageDir(name);
  const src = newestSource(r.dir);
  for (const bin of cargoBins(r.dir)) {
    const p = join(out, bin);
    if (!existsSync(p)) return `${bin} not built yet`;
    if (statSync(p).mtimeMs <= src) return `sources changed since ${bin} was built`;
  }
  return null;
}

/** The cargo to run: $CARGO, else the one on PATH, else rustup's usual place. */
export function findCargo() {
  const candidates = [process.env.CARGO, 'cargo', join(homedir(), '.cargo', 'bin', 'cargo')].filter(Boolean);
  for (const cargo of candidates) {
    const r = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) continue;
    const m = /cargo (\d+)\.(\d+)/.exec(r.stdout);
    if (m && (+m[1] < MIN_CARGO[0] || (+m[1] === MIN_CARGO[0] && +m[2] < MIN_CARGO[1]))) {
      throw new Error(
        `${cargo} is ${r.stdout.trim()}, but the images need cargo >= ${MIN_CARGO.join('.')} ` +
          `(Debian 12's apt cargo is 1.63, too old): install a newer Rust toolchain, then rerun npm run images`,
      );
    }
    return { cargo, version: r.stdout.trim() };
  }
  throw new Error("cargo not found: install Rust's cargo, e.g. apt-get install cargo, then rerun npm run images");
}

function run(cmd, args, opts, verbose) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', verbose ? 'inherit' : 'pipe', verbose ? 'inherit' : 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = output.split('\n').slice(-40).join('\n');
      reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})${tail ? `\n${tail}` : ''}`));
    });
  });
}

/**
 * Build the image if any output is missing or older than its sources, and return its
 * directory (sandbox-images/out/NAME). Options: log(line) for progress lines; verbose to
 * let cargo's own output through (otherwise it is kept and shown only on failure).
 */
export async function ensureImage(name, { log = () => {}, verbose = false } = {}) {
  const r = recipe(name);
  const out = imageDir(name);
  const why = staleReason(name);
  if (!why) {
    log(`${name}: up to date in ${out}`);
    return out;
  }

  const { cargo, version } = findCargo();
  const target = join(REPO_ROOT, '.cache', 'cargo-target', name);
  log(`${name}: building (${why}) with ${version}, CARGO_TARGET_DIR=${target}`);
  const started = Date.now();
  await run(
    cargo,
    ['build', '--release', '--locked', '--manifest-path', join(r.dir, 'Cargo.toml')],
    { cwd: r.dir, env: { ...process.env, CARGO_TARGET_DIR: target } },
    verbose,
  );

  // Copy each binary through a temporary name, so a concurrent reader never sees half a file.
  mkdirSync(out, { recursive: true });
  const bins = cargoBins(r.dir);
  for (const bin of bins) {
    const tmp = join(out, `.${bin}.${process.pid}.tmp`);
    copyFileSync(join(target, 'release', bin), tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, join(out, bin));
  }
  for (const f of readdirSync(out)) {
    if (!bins.includes(f) && !f.startsWith('.')) rmSync(join(out, f), { force: true }); // a removed program
  }
  log(`${name}: built ${bins.length} programs in ${((Date.now() - started) / 1000).toFixed(1)} s: ${bins.join(' ')}`);
  log(`${name}: copied to ${out}`);
  return out;
}
