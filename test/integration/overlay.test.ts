// --overlay DIR: a guest changes files and directories of a read-only lower tree (a copy of the
// busybox image with a work tree) and must see exactly what the same commands show natively on
// a plain writable copy of that tree, the Linux reference; the lower tree must be untouched
// afterwards, a second run with the same DIR must see the changes, and DIR must hold them as
// documented (copies, ".wh.NAME" whiteouts, ".wh..wh..opq" opaque markers).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, realpathSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandbox, native, ROOT, type Outcome } from '../helpers/sandbox.js';
import { compiled } from '../helpers/cc.js';

let image = '';
const scratch = mkdtempSync(join(tmpdir(), 'starry-overlay-'));

test.before(async () => {
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  image = await ensureImage('busybox');
});

test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

/** Every entry below dir: type, mode, owner, size, mtime, link count and contents or target. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    let what = '';
    if (st.isSymbolicLink()) what = `-> ${readlinkSync(p)}`;
    else if (st.isFile()) what = createHash('sha256').update(readFileSync(p)).digest('hex');
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs} ${st.nlink} ${what}`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(rel ? `${rel}/${name}` : name);
  };
  walk('');
  return out;
}

/** The work tree the script changes: files, nested directories, links, a #! script. */
function makeWorkTree(w: string): void {
  for (const d of ['dir1/sub', 'dir2/y', 'dir3', 'dir4', 'dir5']) mkdirSync(join(w, d), { recursive: true });
  for (let i = 1; i <= 10; i++) writeFileSync(join(w, `file${i}`), `content ${i}\n`);
  const files: Record<string, string> = { 'dir1/a': 'a\n', 'dir1/sub/s1': 's1\n', 'dir2/x': 'x\n', 'dir2/y/z': 'z\n', 'dir3/m': 'm\n', 'dir4/q': 'q\n', 'dir5/keep': 'keep\n' };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(w, f), text);
  symlinkSync('file1', join(w, 'sym.old'));
  symlinkSync('file2', join(w, 'link1'));
  writeFileSync(join(w, 'script.sh'), '#!/bin/sh\necho script-start\n');
  chmodSync(join(w, 'script.sh'), 0o755);
  const then = new Date('2020-01-01T00:00:00Z');
  for (const f of ['file5', 'file6', 'file7', 'file10', 'dir1/a']) utimesSync(join(w, f), then, then);
}

// The script runs under busybox sh in both worlds (busybox runs its own applets, so both use
// the same ls, stat, mv ...). It prints nothing that differs between two runs: no times of
// files it wrote, no directory sizes or link counts (merged directories count differently).
const SCRIPT = String.raw`
lsl() { ls -la "$@" | grep -v '^total' | grep -v ' \.\.$' | awk '{ if (substr($1,1,1)=="d") { $2="-"; $5="-" } $6=""; $7=""; $8=""; print }'; }
report() {
  find . | sort | while read f; do
    if [ -L "$f" ]; then echo "$f link $(readlink "$f")"
    elif [ -d "$f" ]; then echo "$f dir $(stat -c %a "$f")"
    else echo "$f file $(stat -c '%a %s %h' "$f") $(md5sum < "$f" | cut -c1-8)"; fi
  done
  for f in file6 file7 file10 file5.renamed dir1/sub/a.moved; do stat -c "%n mtime %Y" $f; done
  lsl; lsl dir1 dir1/sub dir2 dir5
  cat file1 file9 dir4 link1 2>&1
}
cd "$1"
if [ "$2" = report ]; then report; exit; fi
echo appended >> file1
printf 'rewritten\n' > file2
: > file3
echo new > newfile; mkdir -p newdir/inner; echo x > newdir/inner/f
echo deep > dir1/sub/deepnew
rm file4; rm -r dir2
cat file4 2>&1; ls dir2 2>&1
mkdir dir2; echo fresh > dir2/only
mv file5 file5.renamed; mv dir1/a dir1/sub/a.moved
mv dir3 dir3.renamed
ln -s file1 sym.new; rm sym.old
ln file6 file6.link
chmod 600 file7
mv newfile file8
rm file9; echo again > file9
rm -r dir4; echo nowfile > dir4
rm dir5/keep; rmdir dir5; mkdir dir5; mkdir dir5/new; ls -a dir5
rmdir dir1 2>&1; mkdir file1 2>&1; rmdir newdir/inner 2>&1; mv dir1 dir1/sub/x 2>&1
echo 'echo appended-line' >> script.sh; ./script.sh
mkdir bin2 && cp /proc/self/exe bin2/echo && bin2/echo from-a-copied-program
touch -d '2001-02-03 04:05:06' file10
echo ---; report
`;

interface Layers {
  lower: string;
  upper: string;
  ref: string;
}

/** A lower tree (the image, /w and the script), its native twin, and an empty upper path. */
function layers(name: string): Layers {
  const base = join(scratch, name);
  const l: Layers = { lower: join(base, 'lower'), upper: join(base, 'upper'), ref: join(base, 'ref') };
  mkdirSync(base, { recursive: true });
  execFileSync('cp', ['-a', image, l.lower]);
  makeWorkTree(join(l.lower, 'w'));
  writeFileSync(join(l.lower, 'script.sh'), SCRIPT);
  execFileSync('cp', ['-a', l.lower, l.ref]);
  return l;
}

function inOverlay(l: Layers, args: string[]): Outcome {
  return sandbox(['--root', l.lower, '--overlay', l.upper, '--', ...args]);
}

test('changes under --overlay look as on a plain copy, leave the lower tree alone and persist in DIR', (t) => {
  const l = layers('script');
  const before = snapshot(l.lower);
  const ref = native([join(l.ref, 'bin', 'busybox'), 'sh', join(l.ref, 'script.sh'), join(l.ref, 'w')]);
  t.is(ref.status, 0, ref.stderr);
  const r = inOverlay(l, ['/bin/sh', '/script.sh', '/w']);
  t.is(r.stderr, '');
  t.is(r.stdout, ref.stdout);
  t.is(r.status, 0);
  t.deepEqual(snapshot(l.lower), before, 'the lower tree is unchanged');

  // a second run over the same upper directory sees the same tree
  const again = inOverlay(l, ['/bin/sh', '/script.sh', '/w', 'report']);
  t.is(again.stdout, ref.stdout.slice(ref.stdout.indexOf('---\n') + 4));
  t.is(again.status, 0, again.stderr);

  // DIR holds copies of what changed, whiteouts for what was deleted, opaque markers
  const up = (p: string): boolean => lstatSync(join(l.upper, 'w', p), { throwIfNoEntry: false }) !== undefined;
  for (const p of ['file1', 'file2', 'file3', 'file7', 'file10', 'file8', 'file9', 'dir4', 'script.sh', 'dir1/sub/deepnew', 'dir1/sub/a.moved', 'dir2/only', 'dir3.renamed/m', 'sym.new', 'file6', 'file6.link']) t.true(up(p), `${p} is in the upper layer`);
  for (const p of ['.wh.file4', '.wh.file5', '.wh.dir3', '.wh.sym.old', 'dir1/.wh.a', 'dir2/.wh..wh..opq', 'dir5/.wh..wh..opq']) t.true(up(p), `${p} marks a deletion`);
  for (const p of ['dir2/x', 'dir2/y', '.wh.dir2', '.wh.dir4', '.wh.file9', '.wh.dir5', 'dir5/.wh.keep', 'link1', 'dir1/sub/s1']) t.false(up(p), `${p} is not in the upper layer`);
  t.is(readFileSync(join(l.upper, 'w', 'file1'), 'latin1'), 'content 1\nappended\n');
  t.true(lstatSync(join(l.upper, 'w', 'dir4')).isFile());
  t.is(lstatSync(join(l.upper, 'w', 'dir1')).mode & 0o7777, 0o755);
});

test('the C programs that change files see under --overlay what they see natively', (t) => {
  const l = layers('programs');
  const programs = ['files_dirs', 'getdents', 'mmap_files', 'stat_family', 'openat2', 'fifo', 'file_locks', 'existing_files'];
  mkdirSync(join(l.lower, 't'));
  for (const p of programs) {
    execFileSync('cp', [compiled(p, true), join(l.lower, 't', p)]);
    // each runs in a directory of the lower layer; existing_files finds its files there
    const dir = join(l.lower, 'work', p);
    mkdirSync(dir, { recursive: true });
    if (p === 'existing_files') {
      for (const n of ['ex_shared', 'ex_private', 'ex_trunc', 'ex_meta', 'ex_old', 'ex_link']) {
        writeFileSync(join(dir, n), `original contents of ${n}\n`, { mode: 0o644 });
        utimesSync(join(dir, n), 1e9, 1e9);
      }
    }
  }
  execFileSync('cp', ['-a', join(l.lower, 'work'), join(l.ref, 'work')]);
  const before = snapshot(l.lower);
  for (const p of programs) {
    const ref = native([join(l.lower, 't', p)], { cwd: join(l.ref, 'work', p) });
    t.is(ref.status, 0, `${p} natively: ${ref.stderr}`);
    const r = sandbox(['--root', l.lower, '--overlay', l.upper, '--cwd', `/work/${p}`, '--', `/t/${p}`]);
    t.is(r.stdout, ref.stdout, p);
    t.is(r.status, ref.status, `${p}: ${r.stderr}`);
  }
  t.deepEqual(snapshot(l.lower), before, 'the lower tree is unchanged');
});

test('what overlayfs itself shows: the layers in mountinfo, its statfs type, one link for a merged directory', (t) => {
  const l = layers('mounts');
  const [lower, upper] = [realpathSync(l.lower), join(realpathSync(scratch), 'mounts', 'upper')];
  const script = 'head -1 /proc/self/mountinfo; grep " / " /proc/mounts; stat -f -c %t /w; touch /w/file1; stat -f -c %t /w/file1; ' +
    'touch /w/dir1/new; rm -r /w/dir2; mkdir /w/dir2 /w/dir6; stat -c "%n %h" /w/dir1 /w/dir2 /w/dir3 /w/dir6; cd /w/dir1; stat -c "%h" .';
  const r = inOverlay(l, ['/bin/sh', '-c', script]);
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.regex(lines[0], new RegExp(`^\\d+ \\d+ \\d+:\\d+ / / rw,relatime - overlay overlay rw,lowerdir=${lower},upperdir=${upper}$`));
  t.is(lines[1], `overlay / overlay rw,relatime,lowerdir=${lower},upperdir=${upper} 0 0`);
  t.is(lines[2], '794c7630', 'OVERLAYFS_SUPER_MAGIC');
  t.is(lines[3], '794c7630');
  // merged (both layers): 1; opaque (made where a lower one was deleted), lower-only and new ones: their own count
  t.deepEqual(lines.slice(4), ['/w/dir1 1', '/w/dir2 2', '/w/dir3 2', '/w/dir6 2', '1', '']);
});

test('--overlay over the host root keeps the host files as they were and runs host programs', (t) => {
  // The lower files sit in the repository, seen through the host root: the sandbox's working
  // directory (its read-write mount) is a sibling of theirs. A checkout under /tmp is hidden
  // by the sandbox's private /tmp, so there is nothing to see.
  if (ROOT.startsWith(tmpdir() + '/')) return t.pass('checkout under /tmp: not visible through the host root');
  const base = join(ROOT, '.cache', `overlay-host-${process.pid}`);
  const files = join(base, 'files');
  const cwd = join(base, 'cwd');
  const upper = join(scratch, 'host-upper');
  mkdirSync(files, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(files, 'kept'), 'host file\n');
  try {
    const before = snapshot(base);
    const script = `cd ${files} && echo changed >> kept && cat kept && cp /bin/sh ./sh2 && ./sh2 -c 'echo from-a-copied-dynamic-program' && rm kept && ls -A`;
    const r = sandbox(['--overlay', upper, '--', '/bin/sh', '-c', script], { cwd });
    t.is(r.stdout, 'host file\nchanged\nfrom-a-copied-dynamic-program\nsh2\n');
    t.is(r.status, 0, r.stderr);
    t.deepEqual(snapshot(base), before, 'the host files are unchanged');
    const rel = files.slice(1);
    t.true(existsSync(join(upper, rel, '.wh.kept')));
    t.true(existsSync(join(upper, rel, 'sh2')));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('--overlay refuses an upper directory that overlaps the lower layer, and says why', (t) => {
  const l = layers('refused');
  mkdirSync(join(l.lower, 'inside'));
  const before = snapshot(l.lower);
  const cases: [string[], RegExp][] = [
    [['--root', l.lower, '--overlay', join(l.lower, 'inside')], /the upper layer .* is inside the root the guest sees \(at \/inside\)/],
    [['--root', l.lower, '--overlay', l.lower], /lies inside the upper layer/],
    [['--root', join(l.lower, 'w'), '--overlay', l.lower], /lies inside the upper layer/],
    [['--overlay', '/usr'], /the upper layer \/usr is inside the root the guest sees/],
  ];
  for (const [args, message] of cases) {
    const r = sandbox([...args, '--', '/bin/true']);
    t.is(r.status, 125, args.join(' '));
    t.regex(r.stderr, message);
  }
  t.deepEqual(snapshot(l.lower), before);
});
