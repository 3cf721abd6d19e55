// procfs, generated from kernel state: /proc/self, /proc/thread-self and /proc/PID for sandbox
// processes only (exe, cwd and root as magic links, fd/, cmdline, environ, comm, status, stat,
// statm, mounts, task/), and the machine files programs read (cpuinfo, meminfo, uptime, loadavg,
// stat, version, filesystems, mounts). Per-process text the kernel does not keep comes from the
// host's /proc of the same (real) task, with the host's view of us taken out.
import { readFileSync } from 'node:fs';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

export const enum NodeKind {
  Dir,
  File,
  Link,
}

export interface ProcNode {
  kind: NodeKind;
  /** Directory entries, without "." and "..". */
  entries?: () => string[];
  /** File contents, generated when opened. */
  content?: () => Buffer;
  /** Symlink text (readlink). */
  target?: () => string;
  /** For magic links (exe, cwd, root, fd/N): the guest path they jump to. */
  jump?: () => string | undefined;
  /** Owner task, for /proc/PID/... inodes. */
  pid?: number;
}

const MACHINE_FILES = ['cpuinfo', 'meminfo', 'uptime', 'loadavg', 'stat', 'version', 'filesystems', 'cmdline'];
const PID_ENTRIES = ['cmdline', 'comm', 'cwd', 'environ', 'exe', 'fd', 'mounts', 'root', 'stat', 'statm', 'status', 'task'];

function hostText(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

function dir(entries: () => string[], pid?: number): ProcNode {
  return { kind: NodeKind.Dir, entries, pid };
}
function file(content: () => Buffer | string, pid?: number): ProcNode {
  return { kind: NodeKind.File, content: () => { const c = content(); return typeof c === 'string' ? Buffer.from(c, 'latin1') : c; }, pid };
}
function link(target: () => string, jump?: () => string | undefined, pid?: number): ProcNode {
  return { kind: NodeKind.Link, target, jump, pid };
}

export class ProcFs {
  constructor(private readonly k: Kernel) {}

  /** The node at rel (components below /proc), as seen by task t; undefined if none. */
  lookup(t: Task | undefined, rel: string): ProcNode | undefined {
    const parts = rel === '.' ? [] : rel.split('/');
    const k = this.k;
    if (parts.length === 0) {
      return dir(() => [...MACHINE_FILES, 'mounts', 'self', 'thread-self', ...[...k.groups.keys()].sort((a, b) => a - b).map(String)]);
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
    if (rest.length > 0) return undefined;
    if (head === 'mounts') return file(() => this.mounts());
    if (MACHINE_FILES.includes(head)) {
      if (head === 'cmdline') return file(() => 'starry-sandbox\n');
      return file(() => hostText(`/proc/${head}`));
    }
    return undefined;
  }

  private pidNode(pid: number, tid: number, rest: string[]): ProcNode | undefined {
    const k = this.k;
    const g = k.groups.get(pid);
    if (!g) return undefined;
    const leader = g.threads.get(pid) ?? [...g.threads.values()][0];
    if (!leader) return undefined;
    if (rest.length === 0) return dir(() => PID_ENTRIES, pid);
    const [what, ...more] = rest;
    if (what === 'task') {
      if (more.length === 0) return dir(() => [...g.threads.keys()].sort((a, b) => a - b).map(String), pid);
      const ttid = Number(more[0]);
      if (!g.threads.has(ttid)) return undefined;
      if (more.length === 1) return dir(() => PID_ENTRIES.filter((e) => e !== 'task'), pid);
      return this.pidNode(pid, ttid, more.slice(1));
    }
    if (what === 'fd') {
      if (more.length === 0) return dir(() => leader.files.numbers().map(String), pid);
      if (more.length > 1) return undefined;
      const f = leader.files.get(Number(more[0]));
      if (!f || !/^\d+$/.test(more[0])) return undefined;
      return link(() => f.describe() || f.guestPath, () => (f.statFd() >= 0 && f.guestPath.startsWith('/') ? f.guestPath : undefined), pid);
    }
    if (more.length > 0) return undefined;
    switch (what) {
      case 'exe':
        return link(() => g.exe, () => g.exe || undefined, pid);
      case 'cwd':
        return link(() => leader.fs.cwd, () => leader.fs.cwd, pid);
      case 'root':
        return link(() => '/', () => '/', pid);
      case 'cmdline':
      case 'environ':
      case 'statm':
        return file(() => hostText(`/proc/${pid}/task/${tid}/${what}`), pid);
      case 'comm':
        return file(() => `${this.comm(pid, tid)}\n`, pid);
      case 'stat':
        return file(() => this.stat(pid, tid), pid);
      case 'status':
        return file(() => this.status(pid, tid), pid);
      case 'mounts':
        return file(() => this.mounts(), pid);
    }
    return undefined;
  }

  /** The parent as the sandbox shows it: 0 for the first process, whose parent is outside. */
  private ppid(pid: number): number {
    return this.k.groups.get(pid)?.parent?.tgid ?? 0;
  }

  /** The task's name: the kernel's when it set one, else the host's. */
  private comm(pid: number, tid: number): string {
    const t = this.k.tasks.get(tid);
    return t?.comm ?? hostText(`/proc/${pid}/task/${tid}/comm`).toString('latin1').replace(/\n$/, '');
  }

  private status(pid: number, tid: number): string {
    const text = hostText(`/proc/${pid}/task/${tid}/status`).toString('latin1');
    return text
      .replace(/^Name:.*$/m, `Name:\t${this.comm(pid, tid)}`)
      .replace(/^PPid:\s*\d+$/m, `PPid:\t${this.ppid(pid)}`)
      .replace(/^TracerPid:\s*\d+$/m, 'TracerPid:\t0');
  }

  private stat(pid: number, tid: number): string {
    const text = hostText(`/proc/${pid}/task/${tid}/stat`).toString('latin1');
    // "pid (comm) state ppid ..." : comm may hold spaces and parentheses; the last ')' ends it
    const close = text.lastIndexOf(')');
    if (close < 0) return text;
    const fields = text.slice(close + 2).split(' ');
    fields[1] = String(this.ppid(pid));
    return `${pid} (${this.comm(pid, tid)}) ` + fields.join(' ');
  }

  private mounts(): string {
    const lines = this.k.mounts
      .all()
      .slice()
      .sort((a, b) => a.guest.length - b.guest.length)
      .map((m) => {
        const type = m.guest === '/proc' ? 'proc' : m.guest === '/sys' ? 'sysfs' : m.guest === '/tmp' || m.guest === '/dev/shm' ? 'tmpfs' : 'starryfs';
        return `${type} ${m.guest} ${type} ${m.readOnly ? 'ro' : 'rw'},relatime 0 0`;
      });
    return lines.join('\n') + '\n';
  }
}
