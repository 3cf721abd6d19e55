// sysfs and the cgroup2 filesystem, generated like procfs: the CPU topology of the sandbox's
// configured CPU count, and the cgroup v2 files a runtime reads for its CPU and memory budget
// (none: "max"), describing the sandbox as the root of its own cgroup namespace.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { file, hostText, treeLookup, type GeneratedFs, type ProcNode, type Tree } from './procfs.js';

export const SYSFS_DEV = 0x17;
export const CGROUP2_DEV = 0x18;

/** Linux's cpulist format for CPUs 0..n-1. */
export function cpuList(n: number): string {
  return n === 1 ? '0\n' : `0-${n - 1}\n`;
}

function parts(rel: string): string[] {
  return rel === '.' ? [] : rel.split('/');
}

export class SysFs implements GeneratedFs {
  readonly dev = SYSFS_DEV;
  readonly magic = 0x62656572; // SYSFS_MAGIC
  readonly fileSize = 4096; // sysfs attributes are a page
  private readonly tree: Tree;
  constructor(k: Kernel) {
    const cpu: Tree = {
      kernel_max: file(() => `${Math.max(Number(hostText('/sys/devices/system/cpu/kernel_max').toString('latin1')) || 8191, k.cpus - 1)}\n`),
      online: file(() => cpuList(k.cpus)),
      possible: file(() => cpuList(k.cpus)),
      present: file(() => cpuList(k.cpus)),
    };
    for (let i = 0; i < k.cpus; i++) cpu[`cpu${i}`] = {};
    this.tree = { devices: { system: { cpu } }, fs: { cgroup: {} } };
  }
  lookup(_t: Task | undefined, rel: string): ProcNode | undefined {
    return treeLookup(this.tree, parts(rel), 0o755);
  }
}

export class CgroupFs implements GeneratedFs {
  readonly dev = CGROUP2_DEV;
  readonly magic = 0x63677270; // CGROUP2_SUPER_MAGIC
  readonly fileSize = 0;
  private readonly tree: Tree;
  constructor(k: Kernel) {
    const pids = () => [...k.groups.keys()].sort((a, b) => a - b);
    const rw = (text: string) => file(() => text, undefined, 0o644);
    this.tree = {
      'cgroup.controllers': file(() => 'cpuset cpu io memory pids\n'),
      'cgroup.procs': file(() => pids().map((p) => `${p}\n`).join(''), undefined, 0o644),
      'cgroup.threads': file(() => [...k.tasks.keys()].sort((a, b) => a - b).map((p) => `${p}\n`).join(''), undefined, 0o644),
      'cpu.max': rw('max 100000\n'),
      'cpu.weight': rw('100\n'),
      'cpuset.cpus.effective': file(() => cpuList(k.cpus)),
      // resident memory of the sandbox's processes, from statm's resident pages
      'memory.current': file(() => `${pids().reduce((sum, p) => sum + Number(hostText(`/proc/${p}/statm`).toString('latin1').split(' ')[1] ?? 0) * 4096, 0)}\n`),
      'memory.max': rw('max\n'),
      'memory.swap.max': rw('max\n'),
    };
  }
  lookup(_t: Task | undefined, rel: string): ProcNode | undefined {
    return treeLookup(this.tree, parts(rel), 0o755);
  }
}
