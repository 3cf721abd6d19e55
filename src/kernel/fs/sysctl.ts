// /proc/sys: the sysctls programs read. The guest may read them and not write them, as an
// unprivileged user on Linux (open for writing: EACCES; the writable ones show mode 0644).
import { randomUUID } from 'node:crypto';
import type { Kernel } from '../kernel.js';
import { file, hostText, type Tree } from './procfs.js';

/** Files with LONG_MAX-sized or per-machine values are the host's. */
function host(path: string, mode = 0o644) {
  return file(() => hostText(`/proc/sys/${path}`), undefined, mode);
}

export function sysctl(k: Kernel): Tree {
  const bootId = randomUUID(); // one boot: the sandbox's life
  return {
    fs: {
      'file-max': host('fs/file-max'),
      nr_open: file(() => '1048576\n', undefined, 0o644), // the kernel's ceiling for RLIMIT_NOFILE
    },
    kernel: {
      hostname: file(() => `${k.hostname}\n`, undefined, 0o644),
      osrelease: host('kernel/osrelease', 0o444),
      ostype: file(() => 'Linux\n'),
      pid_max: host('kernel/pid_max'),
      random: {
        boot_id: file(() => `${bootId}\n`),
        uuid: file(() => `${randomUUID()}\n`),
      },
      'threads-max': host('kernel/threads-max'),
    },
    net: {
      core: { somaxconn: file(() => '4096\n', undefined, 0o644) },
      ipv4: { ip_local_port_range: file(() => '32768\t60999\n', undefined, 0o644) },
    },
    vm: {
      max_map_count: host('vm/max_map_count'),
      overcommit_memory: host('vm/overcommit_memory'),
    },
  };
}
