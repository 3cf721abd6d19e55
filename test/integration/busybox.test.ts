// Busybox (Debian's busybox-static, as the busybox image recipe unpacks it) under --root: its
// shell and the tools that read the machine from /proc and the mount table. Each check holds
// the output against other things the same sandbox says (the shell's own pids, /proc/mounts,
// /proc/meminfo), not against values this kernel produced in an earlier run.
import test from 'ava';
import { join } from 'node:path';
import { sandbox, ROOT, type Outcome } from '../helpers/sandbox.js';

let image = '';

test.before(async () => {
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  image = await ensureImage('busybox');
});

function bb(script: string): Outcome {
  return sandbox(['--root', image, '--', '/bin/sh', '-c', script]);
}

/** Sections of output separated by lines "--NAME--". */
function sections(out: string): Record<string, string> {
  const res: Record<string, string> = {};
  let name = '';
  for (const line of out.split('\n')) {
    const m = /^--(\w+)--$/.exec(line);
    if (m) name = m[1];
    else res[name] = (res[name] ?? '') + line + '\n';
  }
  return res;
}

test('sh -c runs busybox ash: arithmetic, loops, pipes between applets, exit status', (t) => {
  const r = bb('echo $((6 * 7)); for w in one two; do echo $w; done | tr a-z A-Z | sort -r; false || echo after-false; exit 3');
  t.is(r.stdout, '42\nTWO\nONE\nafter-false\n');
  t.is(r.status, 3, r.stderr);
});

test('ls -la /proc/self/ lists the process directory of ls itself', (t) => {
  const r = bb('ls -la /proc/self/');
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
  const lines = r.stdout.trim().split('\n');
  t.is(lines[0], 'total 0');
  t.regex(r.stdout, /^dr-xr-xr-x .* \.$/m, '"." is the directory, not the self link');
  t.regex(r.stdout, /^lrwxrwxrwx .* exe -> \/bin\/busybox$/m);
  t.regex(r.stdout, /^lrwxrwxrwx .* cwd -> \/$/m);
  for (const name of ['fd', 'fdinfo', 'task']) t.regex(r.stdout, new RegExp(`^dr-x.* ${name}$`, 'm'));
  for (const name of ['cmdline', 'maps', 'mountinfo', 'stat', 'status']) t.regex(r.stdout, new RegExp(`^-r--r--r-- .* ${name}$`, 'm'));
});

test('ps lists the sandbox processes and only them, as a tree rooted at the first', (t) => {
  // (the loop waits until the background child has exec'd sleep)
  const r = bb('sleep 10 & bg=$!; while [ "$(cat /proc/$bg/comm)" = sh ]; do :; done; echo "--ids--"; echo $$ $bg; echo "--ps--"; ps; echo "--tree--"; ps -o pid,ppid,user,comm; kill $bg');
  t.is(r.status, 0, r.stderr);
  const s = sections(r.stdout);
  const [sh, bg] = s.ids.trim().split(' ').map(Number);
  const ps = s.ps.trim().split('\n');
  t.regex(ps[0], /^\s*PID\s+USER\s+COMMAND$/);
  const rows = ps.slice(1).map((l) => l.trim().split(/\s+/));
  // the shell, the sleep and ps itself: nothing of the host
  t.is(rows.length, 3, s.ps);
  t.true(rows.some((f) => Number(f[0]) === sh && f.slice(2).join(' ').startsWith('/bin/sh -c sleep 10 &')), s.ps);
  t.true(rows.some((f) => Number(f[0]) === bg && / sleep 10$/.test(f.join(' '))), s.ps);
  const tree = s.tree.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  t.is(tree.length, 3, s.tree);
  for (const [pid, ppid, , comm] of tree) {
    if (Number(pid) === sh) t.is(ppid, '0', 'the first process has its parent outside the sandbox');
    else t.is(Number(ppid), sh, `${comm} is a child of the shell`);
  }
});

test('top -bn1 shows the machine summary and the sandbox processes', (t) => {
  const r = bb('sleep 10 & bg=$!; echo "--ids--"; echo $$ $bg; echo "--top--"; top -bn1; kill $bg');
  t.is(r.status, 0, r.stderr);
  const s = sections(r.stdout);
  const [sh, bg] = s.ids.trim().split(' ').map(Number);
  t.regex(s.top, /^Mem: \d+K used, \d+K free, \d+K shrd, \d+K buff, \d+K cached$/m);
  t.regex(s.top, /^CPU: +\d+% usr +\d+% sys /m);
  // the run queue and task counts are the sandbox's: sh, sleep, top
  const load = /^Load average: [\d.]+ [\d.]+ [\d.]+ (\d+)\/(\d+) (\d+)$/m.exec(s.top);
  t.truthy(load, s.top);
  t.is(Number(load![2]), 3, s.top);
  const table = s.top.split('\n');
  const head = table.findIndex((l) => /^\s*PID\s+PPID\s+USER\s+STAT\s+VSZ\s+%VSZ\s+%CPU\s+COMMAND$/.test(l));
  t.true(head >= 0, s.top);
  const pids = table.slice(head + 1).filter((l) => l.trim()).map((l) => Number(l.trim().split(/\s+/)[0]));
  t.is(pids.length, 3, s.top);
  t.true(pids.includes(sh) && pids.includes(bg), s.top);
});

test('free shows the Mem: line, its total the MemTotal of /proc/meminfo', (t) => {
  const r = bb('free; echo "--meminfo--"; cat /proc/meminfo');
  t.is(r.status, 0, r.stderr);
  const s = sections(r.stdout);
  t.regex(s[''], /^\s+total\s+used\s+free\s+shared\s+buff\/cache\s+available$/m);
  const mem = /^Mem:((?:\s+\d+){6})$/m.exec(s['']);
  t.truthy(mem, s['']);
  const [total, used, free] = mem![1].trim().split(/\s+/).map(Number);
  t.is(total, Number(/^MemTotal:\s+(\d+) kB$/m.exec(s.meminfo)![1]));
  // free and used move between the two reads
  t.true(free > 0 && used > 0 && used + free <= total, s['']);
  t.regex(s[''], /^Swap:(\s+\d+){3}$/m);
});

test('mount, df and mountinfo describe the same sandbox mounts', (t) => {
  const r = bb('echo "--mount--"; mount; echo "--df--"; df; echo "--mounts--"; cat /proc/mounts; echo "--mountinfo--"; cat /proc/self/mountinfo');
  t.is(r.status, 0, r.stderr);
  const s = sections(r.stdout);
  const points = s.mounts.trim().split('\n').map((l) => l.split(' ')[1]);
  t.deepEqual(points.slice().sort(), ['/', '/dev', '/dev/shm', '/etc/hostname', '/etc/hosts', '/proc', '/sys', '/sys/fs/cgroup', '/tmp']);
  // mount prints /proc/mounts as "DEV on DIR type TYPE (OPTIONS)"
  const mounted = s.mount.trim().split('\n');
  t.deepEqual(mounted.map((l) => / on (\S+) type /.exec(l)?.[1]), points);
  t.true(mounted.includes('proc on /proc type proc (ro,relatime)'), s.mount);
  t.regex(s.mount, /^\S+ on \/ type \S+ \(ro,relatime\)$/m);
  t.regex(s.mount, /^tmpfs on \/tmp type tmpfs \(rw,relatime\)$/m);
  // df: the filesystems with blocks (procfs, sysfs and cgroup2 have none and are left out)
  const df = s.df.trim().split('\n');
  t.regex(df[0], /^Filesystem\s+1K-blocks\s+Used\s+Available\s+Use%\s+Mounted on$/);
  const dfPoints = df.slice(1).map((l) => {
    t.regex(l, /^\S+\s+\d+\s+\d+\s+\d+\s+\d+%\s+\/\S*$/);
    return l.split(/\s+/).pop()!;
  });
  for (const p of ['/', '/tmp', '/dev/shm']) t.true(dfPoints.includes(p), `df lists ${p}:\n${s.df}`);
  for (const p of ['/proc', '/sys', '/sys/fs/cgroup']) t.false(dfPoints.includes(p), `df leaves out ${p}:\n${s.df}`);
  t.true(dfPoints.every((p) => points.includes(p)));
  t.deepEqual(s.mountinfo.trim().split('\n').map((l) => l.split(' ')[4]).sort(), points.slice().sort());
});

test('readlink /proc/self/exe names the guest path /bin/busybox, for applets run in and out of the shell', (t) => {
  // readlink runs inside the shell (a NOFORK applet); env re-executes busybox through /proc/self/exe
  const r = bb('readlink /proc/self/exe; env readlink /proc/self/exe; /bin/readlink /proc/self/exe; ls -l /proc/self/exe');
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.deepEqual(lines.slice(0, 3), ['/bin/busybox', '/bin/busybox', '/bin/busybox']);
  t.regex(lines[3], / \/proc\/self\/exe -> \/bin\/busybox$/);
});

test('a #!/bin/sh script run by path: exe is the interpreter, argv and comm as Linux makes them', (t) => {
  const script = '#!/bin/sh\\necho "$0 $1"\\nreadlink /proc/$$/exe\\ntr "\\\\0" " " < /proc/$$/cmdline; echo\\ncat /proc/$$/comm\\n';
  const r = bb(`mkdir -p /tmp/bin && printf '${script}' > /tmp/bin/probe.sh && chmod +x /tmp/bin/probe.sh && /tmp/bin/probe.sh arg1 && cd /tmp && bin/probe.sh arg2`);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, [
    '/tmp/bin/probe.sh arg1', '/bin/busybox', '/bin/sh /tmp/bin/probe.sh arg1 ', 'probe.sh',
    'bin/probe.sh arg2', '/bin/busybox', '/bin/sh bin/probe.sh arg2 ', 'probe.sh', '',
  ].join('\n'));
});

test('netstat shows the guest\'s listener and connection from /proc/net; route and ifconfig see lo alone', (t) => {
  // nc keeps its connection while its standard input stays open; the loops wait for each step
  const wait = (cond: string): string => `i=0; while ! ${cond} && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done`;
  const r = bb(
    `sleep 10 | nc -l -p 12345 > /dev/null & ${wait('netstat -tln | grep -q ":12345 "')}; echo "--listen--"; netstat -tuln; ` +
      `sleep 10 | nc 127.0.0.1 12345 & ${wait('[ "$(netstat -tn | grep -c ESTABLISHED)" -ge 2 ]')}; echo "--conn--"; netstat -tn; ` +
      'echo "--route--"; route -n; echo "--ifconfig--"; ifconfig -a; kill %1 %2',
  );
  t.is(r.status, 0, r.stderr);
  const s = sections(r.stdout);
  // busybox nc listens on an IPv6 socket, which takes IPv4 connections as ::ffff:127.0.0.1
  const listen = s.listen.trim().split('\n');
  t.is(listen[0], 'Active Internet connections (only servers)');
  t.deepEqual(listen.slice(2).map((l) => l.trim().split(/\s+/)), [['tcp', '0', '0', ':::12345', ':::*', 'LISTEN']], s.listen);
  const conn = s.conn.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/));
  const client = conn.find((f) => f[4] === '127.0.0.1:12345');
  t.truthy(client, s.conn);
  const port = client![3].replace('127.0.0.1:', '');
  t.deepEqual(conn.map((f) => f.join(' ')).sort(), [`tcp 0 0 ::ffff:127.0.0.1:12345 ::ffff:127.0.0.1:${port} ESTABLISHED`, `tcp 0 0 127.0.0.1:${port} 127.0.0.1:12345 ESTABLISHED`].sort());
  t.is(s.route, 'Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n');
  t.deepEqual([...s.ifconfig.matchAll(/^(\S+)\s+Link encap:(.*?)\s*$/gm)].map((m) => `${m[1]} ${m[2]}`), ['lo Local Loopback']);
  t.regex(s.ifconfig, /^\s+inet6 addr: ::1\/128 Scope:Host$/m);
});
