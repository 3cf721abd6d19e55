// procfs, generated from kernel state: /proc/self, /proc/thread-self and /proc/PID for sandbox
// processes only (exe, cwd and root as magic links, fd/, fdinfo/, cmdline, environ, comm, status,
// stat, statm, io, limits, maps, smaps, mounts, mountinfo, cgroup, oom_score_adj, task/), the
// machine files programs read (cpuinfo, meminfo, uptime, loadavg, stat, version, filesystems,
// mounts) and /proc/sys. Per-process text the kernel does not keep comes from the host's /proc of
// the same (real) task, with the host's view of us taken out.
import { readFileSync } from 'node:fs';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { DT_DIR, DT_LNK, DT_REG, ProcDir, ProcFile } from '../fd/procfile.js';
import { O_ACCMODE, O_PATH, O_RDONLY, O_WRONLY, type OpenFile } from '../fd/openfile.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';
import { EACCES, EINVAL } from '../errno.js';
import { mounts, mountinfo } from './mountinfo.js';
import { translateMaps } from './maps.js';
import { fdinfo } from './fdinfo.js';
import { sysctl } from './sysctl.js';
import { procNet } from './procnet.js';

export const enum NodeKind {
  Dir,
  File,
  Link,
}

export interface ProcNode {
  kind: NodeKind;
  /** Directory entries, without "." and "..". */
  entries?: () => string[];
  /** d_type of a directory entry (DT_REG when absent). */
  typeOf?: (name: string) => number;
  /** File contents, generated when opened. */
  content?: () => Buffer;
  /** Permission bits (0444 for files, 0555 for directories when absent). */
  mode?: number;
  /** Takes what a guest writes (the file is then writable): bytes taken or -errno. */
  write?: (t: Task, data: Buffer) => number;
  /** Symlink text (readlink). */
  target?: () => string;
  /** For magic links (exe, cwd, root, fd/N): the guest path they jump to. */
  jump?: () => string | undefined;
  /** Owner task, for /proc/PID/... inodes. */
  pid?: number;
  /** For fd/N links to files no path names (pipes, sockets, inherited stdio): the open file. */
  file?: OpenFile;
}

/** A filesystem the kernel generates: procfs, sysfs, cgroup2. */
export interface GeneratedFs {
  /** st_dev of every inode (minor number of an anonymous device). */
  readonly dev: number;
  /** statfs(2)'s f_type. */
  readonly magic: number;
  /** st_size of regular files: 0 in procfs, 4096 (a page) in sysfs. */
  readonly fileSize: number;
  /** The node at rel (components below the mount point), as seen by task t. */
  lookup(t: Task | undefined, rel: string): ProcNode | undefined;
}

export const PROC_DEV = 0x16;

/** An fd/N link's permission bits say how the file is open: r-x for reading, -wx for writing. */
function fdLinkMode(f: OpenFile): number {
  if (f.flags & O_PATH) return 0;
  // the host's own flags for a host descriptor (the inherited stdio's are not recorded)
  const fl = f.native ? host.sys(NR.fcntl, f.hostFd, 3 /* F_GETFL */) : f.flags;
  const acc = (fl < 0 ? f.flags : fl) & O_ACCMODE;
  return (acc !== O_WRONLY ? 0o500 : 0) | (acc !== O_RDONLY ? 0o300 : 0);
}

const MACHINE_FILES = ['cpuinfo', 'meminfo', 'uptime', 'loadavg', 'stat', 'version', 'filesystems', 'cmdline'];
const PID_ENTRIES = [
  'cgroup', 'cmdline', 'comm', 'cwd', 'environ', 'exe', 'fd', 'fdinfo', 'io', 'limits', 'maps', 'mountinfo',
  'mounts', 'net', 'oom_score_adj', 'root', 'smaps', 'stat', 'statm', 'status', 'task',
];
const PID_TYPES: Record<string, number> = { cwd: DT_LNK, exe: DT_LNK, root: DT_LNK, fd: DT_DIR, fdinfo: DT_DIR, net: DT_DIR, task: DT_DIR };

export function hostText(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * The fields of a host /proc/.../stat line after "pid (comm) ": [state, ppid, pgrp, ...], or []
 * when the task is gone. comm may hold spaces and parentheses; the last ')' ends it.
 */
export function hostStat(path: string): string[] {
  const text = hostText(path).toString('latin1');
  const close = text.lastIndexOf(')');
  return close < 0 ? [] : text.slice(close + 2).split(' ');
}

export function dir(entries: () => string[], typeOf?: (name: string) => number, pid?: number): ProcNode {
  return { kind: NodeKind.Dir, entries, typeOf, pid };
}
export function file(content: () => Buffer | string, pid?: number, mode?: number): ProcNode {
  return { kind: NodeKind.File, content: () => { const c = content(); return typeof c === 'string' ? Buffer.from(c, 'latin1') : c; }, pid, mode };
}
export function link(target: () => string, jump?: () => string | undefined, pid?: number): ProcNode {
  return { kind: NodeKind.Link, target, jump, pid };
}

/** A fixed directory tree: a directory is an object of entries, a file is a ProcNode. */
export interface Tree {
  [name: string]: Tree | ProcNode;
}
function isNode(x: Tree | ProcNode): x is ProcNode {
  return typeof x.kind === 'number'; // a directory holding an entry named "kind" has an object there
}

/** The node at parts below tree, or undefined. */
export function treeLookup(tree: Tree, parts: string[], dirMode?: number): ProcNode | undefined {
  let at: Tree | ProcNode = tree;
  for (const p of parts) {
    if (isNode(at) || !Object.prototype.hasOwnProperty.call(at, p)) return undefined;
    at = at[p];
  }
  if (isNode(at)) return at;
  const d: Tree = at;
  return { kind: NodeKind.Dir, entries: () => Object.keys(d), typeOf: (n) => (isNode(d[n]) ? DT_REG : DT_DIR), mode: dirMode };
}

/** The host's per-CPU blocks, cut or repeated (renumbered) to the sandbox's n CPUs. */
function cpuinfo(text: string, n: number): string {
  const blocks = text.split('\n\n').filter((b) => b.trim());
  if (blocks.length === 0 || blocks.length === n) return text;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(blocks[i % blocks.length].replace(/^processor\t: \d+/m, `processor\t: ${i}`));
  return out.join('\n\n') + '\n\n';
}

/** /proc/stat with one cpuN line for each of the sandbox's n CPUs. */
function cpuStat(text: string, n: number): string {
  const lines = text.split('\n');
  const cpus = lines.filter((l) => /^cpu\d+ /.test(l));
  if (cpus.length === 0 || cpus.length === n) return text;
  const first = lines.indexOf(cpus[0]);
  const mine = Array.from({ length: n }, (_, i) => cpus[i % cpus.length].replace(/^cpu\d+/, `cpu${i}`));
  const rest = lines.filter((l) => !/^cpu\d+ /.test(l));
  rest.splice(first, 0, ...mine);
  return rest.join('\n');
}

export class ProcFs implements GeneratedFs {
  readonly dev = PROC_DEV;
  readonly magic = 0x9fa0; // PROC_SUPER_MAGIC
  readonly fileSize = 0;
  private readonly sys: Tree;
  /** The one network namespace's files, the same under every /proc/PID/net. */
  private readonly net: Tree;
  constructor(private readonly k: Kernel) {
    this.sys = sysctl(k);
    this.net = procNet(k);
  }

  /** The node at rel (components below /proc), as seen by task t; undefined if none. */
  lookup(t: Task | undefined, rel: string): ProcNode | undefined {
    const parts = rel === '.' ? [] : rel.split('/');
    const k = this.k;
    if (parts.length === 0) {
      const names = () => [...MACHINE_FILES, 'mounts', 'net', 'self', 'sys', 'thread-self', ...[...k.groups.keys()].sort((a, b) => a - b).map(String)];
      return dir(names, (n) => (n === 'self' || n === 'thread-self' || n === 'net' ? DT_LNK : n === 'sys' || /^\d/.test(n) ? DT_DIR : DT_REG));
    }
    const [head, ...rest] = parts;
    if (head === 'self') {
      if (!t) return undefined;
      return rest.length === 0 ? link(() => String(t.tgid)) : this.pidNode(t.tgid, t.tid, rest);
    }
    if (head === 'thread-self') {
      if (!t) return undefined;
      return rest.length === 0 ? link(() => `${t.tgid}/task/${t.tid}`) : undefined;
    }
    if (/^[1-9][0-9]*$/.test(head)) {
      const pid = Number(head);
      if (!k.groups.has(pid)) return undefined;
      return this.pidNode(pid, pid, rest);
    }
    if (head === 'sys') return treeLookup(this.sys, rest);
    // /proc/net is self/net, a link the walk follows (proc_net_init: proc_symlink("net", NULL, "self/net"))
    if (head === 'net') return rest.length === 0 ? link(() => 'self/net') : t ? this.pidNode(t.tgid, t.tid, ['net', ...rest]) : undefined;
    if (rest.length > 0) return undefined;
    if (head === 'mounts') return file(() => mounts(k));
    if (MACHINE_FILES.includes(head)) {
      if (head === 'cmdline') return file(() => 'starry-sandbox\n');
      if (head === 'cpuinfo') return file(() => cpuinfo(hostText('/proc/cpuinfo').toString('latin1'), k.cpus));
      if (head === 'stat') return file(() => cpuStat(hostText('/proc/stat').toString('latin1'), k.cpus));
      if (head === 'loadavg') return file(() => this.loadavg());
      return file(() => hostText(`/proc/${head}`));
    }
    return undefined;
  }

  /** /proc/PID/... (thread false) or /proc/PID/task/TID/... (thread true). */
  private pidNode(pid: number, tid: number, rest: string[], thread = false): ProcNode | undefined {
    const k = this.k;
    const g = k.groups.get(pid);
    if (!g) return undefined;
    const leader = g.threads.get(pid) ?? [...g.threads.values()][0];
    if (!leader) return undefined;
    const task = g.threads.get(tid) ?? leader;
    if (rest.length === 0) return dir(() => PID_ENTRIES, (n) => PID_TYPES[n] ?? DT_REG, pid);
    const [what, ...more] = rest;
    if (what === 'task') {
      if (thread) return undefined;
      if (more.length === 0) return dir(() => [...g.threads.keys()].filter((t) => this.threadLives(pid, t)).sort((a, b) => a - b).map(String), () => DT_DIR, pid);
      const ttid = Number(more[0]);
      if (!/^\d+$/.test(more[0]) || !g.threads.has(ttid) || !this.threadLives(pid, ttid)) return undefined;
      if (more.length === 1) return dir(() => PID_ENTRIES.filter((e) => e !== 'task'), (n) => PID_TYPES[n] ?? DT_REG, pid);
      return this.pidNode(pid, ttid, more.slice(1), true);
    }
    if (what === 'net') return treeLookup(this.net, more, 0o555);
    if (what === 'fd' || what === 'fdinfo') {
      const files = task.files;
      if (more.length === 0) return { ...dir(() => files.numbers().map(String), () => (what === 'fd' ? DT_LNK : DT_REG), pid), mode: what === 'fd' ? 0o500 : 0o555 };
      if (more.length > 1 || !/^\d+$/.test(more[0])) return undefined;
      const fd = Number(more[0]);
      const f = files.get(fd);
      if (!f) return undefined;
      if (what === 'fdinfo') return file(() => fdinfo(k, files, fd, f), pid);
      // a file of the view jumps to its path; any other (a pipe, the sandbox's stdio) is
      // opened anew by the walk's caller, as proc_fd_link hands out the file itself
      const onPath = (f.mount !== undefined || f instanceof ProcFile || f instanceof ProcDir) && f.guestPath.startsWith('/') && !f.unnamed;
      return { ...link(() => f.describe() || f.guestPath, () => (onPath ? f.guestPath : undefined), pid), file: onPath ? undefined : f, mode: fdLinkMode(f) };
    }
    if (more.length > 0) return undefined;
    switch (what) {
      case 'exe':
        return link(() => g.exe, () => g.exe || undefined, pid);
      case 'cwd':
        return link(() => task.fs.cwd, () => task.fs.cwd, pid);
      case 'root':
        return link(() => '/', () => '/', pid);
      case 'cmdline':
      case 'environ':
      case 'statm':
      case 'io':
        return file(() => hostText(`/proc/${pid}/task/${tid}/${what}`), pid, what === 'environ' || what === 'io' ? 0o400 : undefined);
      case 'maps':
      case 'smaps':
        return file(() => translateMaps(k.mounts, hostText(`/proc/${pid}/task/${tid}/${what}`).toString('latin1')), pid);
      case 'limits':
        return file(() => this.limits(pid, tid), pid);
      case 'comm':
        return { ...file(() => `${this.comm(pid, tid)}\n`, pid, 0o644), write: (t, data) => this.setComm(t, pid, tid, data) };
      case 'stat':
        return file(() => this.stat(pid, tid), pid);
      case 'status':
        return file(() => this.status(pid, tid), pid);
      case 'mounts':
        return file(() => mounts(k), pid);
      case 'mountinfo':
        return file(() => mountinfo(k), pid);
      case 'cgroup':
        return file(() => '0::/\n', pid); // cgroup v2, at the root of the sandbox's namespace
      case 'oom_score_adj':
        return { ...file(() => `${g.oomScoreAdj}\n`, pid, 0o644), write: (_t, data) => this.setOomScoreAdj(pid, data) };
    }
    return undefined;
  }

  /**
   * Whether a thread is still in its group as Linux lists it. On Linux an exited thread leaves
   * task/ a moment after pthread_join can return (the tid futex is cleared first); a traced one
   * stays a zombie until the tracer reaps it, and our record of it goes later still, which
   * widened that window from rare to common under load (test/programs/proc_pid.c saw it).
   */
  private threadLives(pid: number, tid: number): boolean {
    if (tid === pid) return true; // a leader that exited stays while its threads run
    const state = hostStat(`/proc/${pid}/task/${tid}/stat`)[0];
    return state !== undefined && state !== 'Z' && state !== 'X';
  }

  /**
   * The host's load averages, with the entity counts of the sandbox's namespace: runnable and
   * all tasks of the sandbox, and the pid allocated last in it (as a pid namespace shows them).
   */
  private loadavg(): string {
    const fields = hostText('/proc/loadavg').toString('latin1').trim().split(' ');
    if (fields.length < 5) return fields.join(' ') + '\n';
    const tids = [...this.k.tasks.keys()];
    let running = 0;
    for (const tid of tids) if (hostStat(`/proc/${tid}/stat`)[0] === 'R') running++;
    const last = this.k.lastPid || Math.max(0, ...tids);
    return `${fields[0]} ${fields[1]} ${fields[2]} ${Math.max(running, 1)}/${tids.length} ${last}\n`;
  }

  private setOomScoreAdj(pid: number, data: Buffer): number {
    const g = this.k.groups.get(pid);
    const text = data.subarray(0, 12).toString('latin1').trim();
    // kstrtoint(.., 0, ..): decimal, 0x hex or 0 octal, optionally signed
    const m = /^([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(text);
    if (!m) return -EINVAL;
    const v = (m[1] === '-' ? -1 : 1) * (m[2].length > 1 && m[2][0] === '0' && m[2][1] !== 'x' && m[2][1] !== 'X' ? parseInt(m[2], 8) : Number(m[2]));
    if (v < -1000 || v > 1000) return -EINVAL;
    // going below the floor a privileged writer set (inherited) needs CAP_SYS_RESOURCE
    if (g && v < g.oomScoreAdjMin) return -EACCES;
    if (g) g.oomScoreAdj = v;
    return data.length;
  }

  /** The host's table with RLIMIT_NOFILE as the kernel keeps it. */
  private limits(pid: number, tid: number): string {
    const g = this.k.groups.get(pid);
    const text = hostText(`/proc/${pid}/task/${tid}/limits`).toString('latin1');
    if (!g) return text;
    const [soft, hard] = g.nofile;
    return text.replace(/^Max open files .*$/m, `${'Max open files'.padEnd(25)} ${String(soft).padEnd(20)} ${String(hard).padEnd(20)} ${'files'.padEnd(10)}`);
  }

  /** The parent as getppid shows it (Kernel.parentPid). */
  private ppid(pid: number): number {
    const g = this.k.groups.get(pid);
    return g ? this.k.parentPid(g) : 0;
  }

  /** The task's name: the kernel's when it set one, else the host's. */
  /**
   * Writing comm renames the task, as prctl(PR_SET_NAME) does: the first 15 bytes, a newline
   * included (comm_write copies what it is given); only within the writer's own thread group.
   */
  private setComm(t: Task, pid: number, tid: number, data: Buffer): number {
    const target = this.k.tasks.get(tid);
    if (!target || target.group !== t.group || t.group.tgid !== pid) return -22; // EINVAL
    const n = Math.min(data.length, 15);
    const nul = data.indexOf(0);
    target.comm = data.toString('latin1', 0, nul >= 0 && nul < n ? nul : n);
    return data.length;
  }

  private comm(pid: number, tid: number): string {
    const t = this.k.tasks.get(tid);
    return t?.comm ?? hostText(`/proc/${pid}/task/${tid}/comm`).toString('latin1').replace(/\n$/, '');
  }

  private status(pid: number, tid: number): string {
    const text = hostText(`/proc/${pid}/task/${tid}/status`).toString('latin1');
    return text
      .replace(/^State:\tt \(tracing stop\)$/m, `State:\t${this.groupStopped(tid) ? 'T (stopped)' : 'R (running)'}`)
      .replace(/^Name:.*$/m, `Name:\t${this.comm(pid, tid)}`)
      .replace(/^PPid:\s*\d+$/m, `PPid:\t${this.ppid(pid)}`)
      .replace(/^TracerPid:\s*\d+$/m, 'TracerPid:\t0');
  }

  /**
   * The host shows our tracing stops as 't'; the guest has no tracer (ptrace is refused), so a
   * thread the sandbox holds is either in a group stop, 'T' as on Linux, or being served by
   * the kernel, which Linux would show as running.
   */
  private groupStopped(tid: number): boolean {
    return this.k.tasks.get(tid)?.groupStopped ?? false;
  }

  private stat(pid: number, tid: number): string {
    const fields = hostStat(`/proc/${pid}/task/${tid}/stat`);
    if (fields.length === 0) return '';
    if (fields[0] === 't') fields[0] = this.groupStopped(tid) ? 'T' : 'R';
    fields[1] = String(this.ppid(pid));
    return `${tid} (${this.comm(pid, tid)}) ` + fields.join(' ');
  }
}
