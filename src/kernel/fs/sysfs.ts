// sysfs and the cgroup2 filesystem, generated like procfs: the CPU topology of the sandbox's
// configured CPU count, and the cgroup v2 files a runtime reads for its CPU and memory budget
// (none: "max"), describing the sandbox as the root of its own cgroup namespace.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { file, hostText, treeLookup, type GeneratedFs, type ProcNode, type Tree } from './procfs.js';

export const SYSFS_DEV = 0x17;
export const CGROUP2_DEV = 0x18;

/** Linux's cpulist format for the n CPUs from first on ("0-3", "2"). */
export function cpuList(n: number, first = 0): string {
  return n === 1 ? `${first}\n` : `${first}-${first + n - 1}\n`;
}

/**
 * Linux's cpumask format ("%*pb"): hex, the lowest CPU in the lowest bit, in 32-bit words
 * separated by commas, as many digits as nr_cpu_ids needs (2 CPUs: "3"; 40 CPUs: "ff,ffffffff").
 */
export function cpuMask(cpus: number[], n: number): string {
  const words: string[] = [];
  for (let base = 0; base < n; base += 32) {
    let w = 0;
    for (const c of cpus) if (c >= base && c < base + 32) w |= 1 << (c - base);
    const digits = Math.ceil(Math.min(32, n - base) / 4);
    words.unshift((w >>> 0).toString(16).padStart(digits, '0'));
  }
  return words.join(',') + '\n';
}

/**
 * cpuN/topology and cpuN/cache for a sandbox of n CPUs: one package, one core per CPU (no SMT
 * siblings), per-core caches up to L2 and a shared L3, with the host's cache geometry.
 */
function cpuDir(i: number, n: number): Tree {
  const one = (text: string) => file(() => text);
  const own = [i];
  const all = Array.from({ length: n }, (_, c) => c);
  const topology: Tree = {
    physical_package_id: one('0\n'), die_id: one('0\n'), core_id: one(`${i}\n`), cluster_id: one('65535\n'),
    thread_siblings: one(cpuMask(own, n)), thread_siblings_list: one(cpuList(1, i)),
    core_cpus: one(cpuMask(own, n)), core_cpus_list: one(cpuList(1, i)),
    cluster_cpus: one(cpuMask(own, n)), cluster_cpus_list: one(cpuList(1, i)),
    core_siblings: one(cpuMask(all, n)), core_siblings_list: one(cpuList(n)),
    die_cpus: one(cpuMask(all, n)), die_cpus_list: one(cpuList(n)),
    package_cpus: one(cpuMask(all, n)), package_cpus_list: one(cpuList(n)),
  };
  const cache: Tree = {};
  for (let x = 0; x < 8; x++) {
    const host = (name: string) => hostText(`/sys/devices/system/cpu/cpu0/cache/index${x}/${name}`).toString('latin1');
    const level = Number(host('level'));
    if (!level) break;
    const shared = level >= 3;
    const index: Tree = { id: one(`${shared ? 0 : i}\n`), shared_cpu_map: one(cpuMask(shared ? all : own, n)), shared_cpu_list: one(shared ? cpuList(n) : cpuList(1, i)) };
    for (const name of ['level', 'type', 'size', 'coherency_line_size', 'ways_of_associativity', 'number_of_sets', 'physical_line_partition']) {
      index[name] = file(() => host(name));
    }
    cache[`index${x}`] = index;
  }
  return { topology, cache };
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
    for (let i = 0; i < k.cpus; i++) cpu[`cpu${i}`] = cpuDir(i, k.cpus);
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
