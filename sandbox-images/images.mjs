// Image recipes: programs built from source here, for running inside starry-sandbox.
//
//   import { ensureImage } from '<repo>/sandbox-images/images.mjs';
//   const dir = await ensureImage('tokio');   // builds when needed; dir holds the binaries
//   const dora = await ensureImage('dora');   // out/dora: venv/ (Dora CLI + Python API) and bin/
//   const root = await ensureImage('busybox'); // a root for --root: bin/busybox and its applets
//
// Plain ESM for Node 20, no dependencies. The command line is build.mjs (npm run images).
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, readFileSync, readdirSync,
  renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = dirname(HERE);
export const OUT_ROOT = join(HERE, 'out');

/** Oldest cargo that builds the pinned crates (tokio 1.54 says rust-version 1.85). */
const MIN_CARGO = [1, 85];

/** Oldest Python the dora-rs wheels load in (abi3, cp311). */
const MIN_PYTHON = [3, 11];

/**
 * The recipes, by image name.
 * - kind 'cargo': a Cargo project; each binary of src/bin/NAME.rs lands in out/<image>/NAME.
 * - kind 'dora': a Python virtualenv out/dora/venv from `requirements` (the Dora CLI and the
 *   Python node API) plus a Cargo project `cargo` whose binaries land in out/dora/bin/.
 * - kind 'busybox': a root directory for --root, made from a Debian package holding a static busybox.
 * - kind 'c-tests': the project's C test programs (test/programs/*.c), each built dynamic (NAME)
 *   and static (NAME.static) into out/c-tests with the system's cc.
 */
export const IMAGES = {
  'c-tests': { kind: 'c-tests', dir: join(REPO_ROOT, 'test', 'programs') },
  tokio: { kind: 'cargo', dir: join(HERE, 'tokio') },
  busybox: { kind: 'busybox', package: 'busybox-static' },
  dora: {
    kind: 'dora',
    dir: join(HERE, 'dora'),
    requirements: join(HERE, 'dora', 'requirements.txt'),
    cargo: { dir: join(HERE, 'dora', 'rust-nodes'), bin: 'bin', minCargo: [1, 95] }, // dora-node-api 1.1: rust-version 1.95
  },
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

/** Why the Cargo binaries of `dir` must be (re)built into `out`, or null. */
function cargoStaleReason(dir, out) {
  const src = newestSource(dir);
  for (const bin of cargoBins(dir)) {
    const p = join(out, bin);
    if (!existsSync(p)) return `${bin} not built yet`;
    if (statSync(p).mtimeMs <= src) return `sources changed since ${bin} was built`;
  }
  return null;
}

/** The venv of a 'dora' image, and the copy of the requirements it was built from. */
function venvPaths(name) {
  const venv = join(imageDir(name), 'venv');
  return { venv, python: join(venv, 'bin', 'python'), stamp: join(venv, '.installed-requirements.txt') };
}

/** Why the venv must be (re)built, or null when it was built from today's requirements file. */
function venvStaleReason(name) {
  const r = recipe(name);
  const { python, stamp } = venvPaths(name);
  if (!existsSync(python) || !existsSync(stamp)) return 'venv not built yet';
  if (readFileSync(stamp, 'utf8') !== readFileSync(r.requirements, 'utf8')) return 'requirements.txt changed';
  return null;
}

/** Why the image must be (re)built, or null when every output is newer than every source. */
export function staleReason(name) {
  const r = recipe(name);
  const out = imageDir(name);
  if (r.kind === 'cargo') return cargoStaleReason(r.dir, out);
  if (r.kind === 'busybox') return busyboxStaleReason(r, out);
  if (r.kind === 'c-tests') return cTestNames().flatMap((n) => [cTestStaleReason(n, false), cTestStaleReason(n, true)]).find(Boolean) ?? null;
  const venv = venvStaleReason(name);
  const bins = cargoStaleReason(r.cargo.dir, join(out, r.cargo.bin));
  return [venv, bins].filter(Boolean).join('; ') || null;
}

/** The cargo to run: $CARGO, else the one on PATH, else rustup's usual place; at least `min`. */
export function findCargo(min = MIN_CARGO) {
  const candidates = [process.env.CARGO, 'cargo', join(homedir(), '.cargo', 'bin', 'cargo')].filter(Boolean);
  for (const cargo of candidates) {
    const r = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) continue;
    const m = /cargo (\d+)\.(\d+)/.exec(r.stdout);
    if (m && (+m[1] < min[0] || (+m[1] === min[0] && +m[2] < min[1]))) {
      throw new Error(
        `${cargo} is ${r.stdout.trim()}, but the images need cargo >= ${min.join('.')} ` +
          `(Debian 12's apt cargo is 1.63, too old): install a newer Rust toolchain (rustup), then rerun npm run images`,
      );
    }
    return { cargo, version: r.stdout.trim() };
  }
  throw new Error("cargo not found: install Rust's cargo, e.g. apt-get install cargo, then rerun npm run images");
}

/**
 * The python3 to make venvs with: $PYTHON, else python3 on PATH; it must be >= 3.11 and have
 * the venv module (with ensurepip, which Debian splits out into python3-venv).
 */
export function findPython() {
  const python = process.env.PYTHON || 'python3';
  const r = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${python} not found: install Python >= ${MIN_PYTHON.join('.')} (apt-get install python3 python3-venv), or set $PYTHON`);
  }
  const version = r.stdout.trim();
  const [major, minor] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new Error(`${python} is Python ${version}, but the dora wheels need Python >= ${MIN_PYTHON.join('.')}: set $PYTHON to a newer one`);
  }
  const v = spawnSync(python, ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
  if (v.status !== 0) {
    throw new Error(
      `${python} (Python ${version}) has no working venv module (${(v.stderr || '').trim().split('\n').pop()}): ` +
        `on Debian/Ubuntu apt-get install python3-venv (or python${major}.${minor}-venv), then rerun npm run images`,
    );
  }
  return { python, version };
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
 * `cargo build --release --locked` the project in `dir` into .cache/cargo-target/<name>, and
 * copy its binaries to `out` (removing any other file there). Returns the binaries' names.
 */
async function buildCargo(name, dir, out, minCargo, log, verbose) {
  const { cargo, version } = findCargo(minCargo);
  const target = join(REPO_ROOT, '.cache', 'cargo-target', name);
  log(`${name}: cargo build with ${version}, CARGO_TARGET_DIR=${target}`);
  await run(
    cargo,
    ['build', '--release', '--locked', '--manifest-path', join(dir, 'Cargo.toml')],
    { cwd: dir, env: { ...process.env, CARGO_TARGET_DIR: target } },
    verbose,
  );

  // Copy each binary through a temporary name, so a concurrent reader never sees half a file.
  mkdirSync(out, { recursive: true });
  const bins = cargoBins(dir);
  for (const bin of bins) {
    const tmp = join(out, `.${bin}.${process.pid}.tmp`);
    copyFileSync(join(target, 'release', bin), tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, join(out, bin));
  }
  for (const f of readdirSync(out)) {
    if (!bins.includes(f) && !f.startsWith('.')) rmSync(join(out, f), { recursive: true, force: true }); // a removed program
  }
  return bins;
}

/**
 * Make the image's venv afresh: python3 -m venv, then pip install -r requirements (wheels
 * only, pip's cache in .cache/pip). The stamp is written last, so an interrupted build is
 * redone next time.
 */
async function buildVenv(name, log, verbose) {
  const r = recipe(name);
  const { venv, python, stamp } = venvPaths(name);
  const host = findPython();
  log(`${name}: making ${venv} with ${host.python} (Python ${host.version})`);
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(dirname(venv), { recursive: true });
  await run(host.python, ['-m', 'venv', venv], {}, verbose).catch((e) => {
    throw new Error(`${e.message}\n(on Debian/Ubuntu the venv module needs apt-get install python3-venv)`);
  });
  const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
  delete env.PYTHONHOME; // not the caller's Python: the venv's own
  delete env.PYTHONPATH;
  await run(
    python,
    ['-m', 'pip', 'install', '--cache-dir', join(REPO_ROOT, '.cache', 'pip'), '--only-binary', ':all:', '-r', r.requirements],
    { env },
    verbose,
  );
  writeFileSync(stamp, readFileSync(r.requirements, 'utf8'));
}

/**
 * Build the image if any output is missing or older than its sources, and return its
 * directory (sandbox-images/out/NAME). Options: log(line) for progress lines; verbose to
 * let cargo's and pip's own output through (otherwise it is kept and shown only on failure).
 */
/** Builds in progress, by image name: concurrent callers in one process share one build. */
const building = new Map();

export function ensureImage(name, options = {}) {
  let p = building.get(name);
  if (!p) {
    p = buildImage(name, options).finally(() => building.delete(name));
    building.set(name, p);
  }
  return p;
}

async function buildImage(name, { log = () => {}, verbose = false } = {}) {
  const r = recipe(name);
  const out = imageDir(name);
  const why = staleReason(name);
  if (!why) {
    log(`${name}: up to date in ${out}`);
    return out;
  }
  if (r.kind === 'busybox') return buildBusybox(name, r, out, why, log, verbose);
  if (r.kind === 'c-tests') {
    log(`${name}: building (${why})`);
    for (const n of cTestNames()) for (const isStatic of [false, true]) compileCTest(n, isStatic);
    log(`${name}: ${cTestNames().length} programs, dynamic and static, in ${out}`);
    return out;
  }
  log(`${name}: building (${why})`);
  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  if (r.kind === 'cargo') {
    const bins = await buildCargo(name, r.dir, out, MIN_CARGO, log, verbose);
    log(`${name}: built ${bins.length} programs in ${seconds()}: ${bins.join(' ')}`);
    log(`${name}: copied to ${out}`);
    return out;
  }

  // 'dora': the venv and the Rust nodes are independent; each is redone only when stale.
  if (venvStaleReason(name)) {
    await buildVenv(name, log, verbose);
    log(`${name}: venv ready in ${seconds()}: ${join(out, 'venv')}`);
  }
  const binDir = join(out, r.cargo.bin);
  if (cargoStaleReason(r.cargo.dir, binDir)) {
    const bins = await buildCargo(name, r.cargo.dir, binDir, r.cargo.minCargo, log, verbose);
    log(`${name}: built ${bins.length} Rust nodes (${seconds()} so far): ${bins.join(' ')}, copied to ${binDir}`);
  }
  log(`${name}: built in ${seconds()}`);
  return out;
}

// ---- busybox: a root tree from Debian's busybox-static -----------------------------------

/** Bumped when the layout the recipe makes changes, so old trees are rebuilt. */
const BUSYBOX_LAYOUT = 1;
const STAMP = '.recipe';

function busyboxStamp(r) {
  return `layout ${BUSYBOX_LAYOUT} package ${r.package}\n`;
}

function busyboxStaleReason(r, out) {
  if (!existsSync(join(out, 'bin', 'busybox'))) return 'bin/busybox not built yet';
  let stamp = '';
  try {
    stamp = readFileSync(join(out, STAMP), 'utf8');
  } catch {}
  if (stamp !== busyboxStamp(r)) return 'the recipe changed since it was built';
  return null;
}

function have(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return !r.error;
}

/** Whether an ELF file has no program interpreter (PT_INTERP): a static executable. */
function isStaticElf(path) {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false; // ELF64 only
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

const NOT_FOUND_HELP =
  'the busybox image needs Debian\'s busybox-static package: on Debian or Ubuntu, "apt-get download busybox-static" ' +
  '(no root needed; run "apt-get update" first if apt has no package lists), or install it with ' +
  '"apt-get install busybox-static"; or set BUSYBOX_DEB to a busybox-static .deb file';

/** The .deb to unpack: $BUSYBOX_DEB, else one apt-get downloads into work (unprivileged). */
async function fetchDeb(r, work, log, verbose) {
  if (process.env.BUSYBOX_DEB) {
    if (!existsSync(process.env.BUSYBOX_DEB)) throw new Error(`BUSYBOX_DEB=${process.env.BUSYBOX_DEB}: no such file`);
    return process.env.BUSYBOX_DEB;
  }
  if (!have('apt-get')) return undefined;
  log(`busybox: apt-get download ${r.package}`);
  try {
    // as root, apt would hand the download to its _apt user, who cannot write to our directory
    const asRoot = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
    await run('apt-get', [...asRoot, 'download', r.package], { cwd: work }, verbose);
  } catch (e) {
    log(`busybox: apt-get download failed: ${e.message.split('\n')[0]}`);
    return undefined;
  }
  const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
  return deb ? join(work, deb) : undefined;
}

/** A static busybox binary: from the downloaded package, else from an installed busybox-static. */
async function findBusybox(r, work, log, verbose) {
  const deb = await fetchDeb(r, work, log, verbose);
  if (deb) {
    if (!have('dpkg-deb')) throw new Error(`dpkg-deb not found, needed to unpack ${deb}: install dpkg (apt-get install dpkg)`);
    const x = join(work, 'x');
    await run('dpkg-deb', ['-x', deb, x], {}, verbose);
    const bin = join(x, 'bin', 'busybox');
    if (!existsSync(bin)) throw new Error(`${deb} holds no bin/busybox: is it ${r.package}?`);
    return bin;
  }
  // apt could not fetch it (offline, no package lists): an installed busybox-static will do
  const q = spawnSync('dpkg-query', ['-W', '-f', '${Status}', r.package], { encoding: 'utf8' });
  if (!q.error && q.status === 0 && q.stdout.includes('install ok installed') && existsSync('/bin/busybox')) {
    log(`busybox: using the installed ${r.package}'s /bin/busybox`);
    return '/bin/busybox';
  }
  throw new Error(`cannot get busybox-static: ${NOT_FOUND_HELP}`);
}

/** Build the root tree in root: bin/busybox, a link per applet, and what a root needs. */
function makeRoot(root, busybox) {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'etc', 'root', 'home', 'var', 'run', 'tmp', 'var/tmp']) {
    mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  }
  chmodSync(join(root, 'tmp'), 0o1777);
  chmodSync(join(root, 'var', 'tmp'), 0o1777);
  chmodSync(join(root, 'root'), 0o700);
  copyFileSync(busybox, join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  // "--list-full" names each applet where Debian's busybox would install it (bin/ls, usr/bin/free)
  const list = spawnSync(join(root, 'bin', 'busybox'), ['--list-full'], { encoding: 'utf8' });
  if (list.error || list.status !== 0) throw new Error(`${busybox} --list-full failed: ${list.error?.message ?? list.stderr}`);
  const applets = list.stdout.split('\n').filter((l) => l.includes('/') && !l.startsWith('/') && !l.includes('..'));
  let n = 0;
  for (const rel of applets) {
    const p = join(root, rel);
    if (existsSync(p)) continue; // bin/busybox itself
    mkdirSync(dirname(p), { recursive: true });
    symlinkSync('/bin/busybox', p);
    n++;
  }
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const users = ['root:x:0:0:root:/root:/bin/sh'];
  const groups = ['root:x:0:'];
  // the builder's own ids (the guest runs with them), so ls and ps show a name
  if (uid !== 0 && uid !== 65534) users.push(`user:x:${uid}:${gid}:user:/home/user:/bin/sh`);
  if (gid !== 0 && gid !== 65534) groups.push(`user:x:${gid}:`);
  users.push('nobody:x:65534:65534:nobody:/nonexistent:/bin/false');
  groups.push('nogroup:x:65534:');
  writeFileSync(join(root, 'etc', 'passwd'), users.join('\n') + '\n');
  writeFileSync(join(root, 'etc', 'group'), groups.join('\n') + '\n');
  // mount points of the sandbox's own /etc/hosts and /etc/hostname
  writeFileSync(join(root, 'etc', 'hosts'), '');
  writeFileSync(join(root, 'etc', 'hostname'), '');
  writeFileSync(join(root, 'etc', 'profile'), 'export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n');
  return n;
}

async function buildBusybox(name, r, out, why, log, verbose) {
  log(`${name}: building (${why}) from Debian's ${r.package}`);
  const work = mkdtempSync(join(tmpdir(), 'starry-busybox-'));
  try {
    const busybox = await findBusybox(r, work, log, verbose);
    if (!isStaticElf(busybox)) throw new Error(`${busybox} is not a static x86_64 executable: ${NOT_FOUND_HELP}`);
    // assemble beside the output, then move it in place whole
    mkdirSync(OUT_ROOT, { recursive: true });
    const tmp = join(OUT_ROOT, `.${name}.${process.pid}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    const n = makeRoot(tmp, busybox);
    writeFileSync(join(tmp, STAMP), busyboxStamp(r));
    if (staleReason(name)) {
      rmSync(out, { recursive: true, force: true });
      renameSync(tmp, out);
    } else {
      rmSync(tmp, { recursive: true, force: true }); // another build finished first
    }
    log(`${name}: root with bin/busybox and ${n} applet links in ${out}`);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- c-tests: the C test programs, built with the system's cc -----------------------------

/** Names of the C test programs (test/programs/NAME.c). */
export function cTestNames() {
  return readdirSync(IMAGES['c-tests'].dir)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

function cTestPaths(name, isStatic) {
  const dir = IMAGES['c-tests'].dir;
  return { src: join(dir, `${name}.c`), header: join(dir, 'common.h'), out: join(OUT_ROOT, 'c-tests', isStatic ? `${name}.static` : name) };
}

function cTestStaleReason(name, isStatic) {
  const { src, header, out } = cTestPaths(name, isStatic);
  if (!existsSync(out)) return `${name}${isStatic ? ' (static)' : ''} not built yet`;
  if (statSync(out).mtimeMs < Math.max(statSync(src).mtimeMs, statSync(header).mtimeMs)) return `${name}.c changed`;
  return null;
}

/**
 * The path of one C test program, (re)built first when it is missing or older than its source
 * or common.h. Synchronous: tests call it as they need a program.
 */
export function compileCTest(name, isStatic = false) {
  const { src, out } = cTestPaths(name, isStatic);
  if (!cTestStaleReason(name, isStatic)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('cc', ['-O1', '-Wall', ...(isStatic ? ['-static'] : []), '-o', tmp, src, '-pthread'], { encoding: 'utf8' });
  if (r.error) throw new Error(`cc not found (${r.error.message}): install a C compiler (apt-get install gcc libc6-dev) to build the C test programs`);
  if (r.status !== 0) throw new Error(`cc failed on ${src}:\n${r.stderr}`);
  renameSync(tmp, out); // whole, so a concurrent reader never runs half a program
  return out;
}
