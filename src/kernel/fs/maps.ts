// /proc/PID/maps and smaps from the host's, with each file named by its guest path: a host path
// no mount shows (none should be mapped) loses its name rather than leak where it lives.
import type { MountTable } from './mount.js';

// "start-end perms offset major:minor inode", then the name padded to column 74
const HEADER = /^([0-9a-f]+-[0-9a-f]+ [-rwxsp]{4} [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ \d+ )\s*(.*)$/;
const DELETED = ' (deleted)';

function guestName(mounts: MountTable, name: string): string {
  if (!name.startsWith('/')) return name; // [heap], [stack], [vdso], anon names
  // memfd and SysV segments are named by the kernel, not by a path
  if (name.startsWith('/memfd:') || name.startsWith('/SYSV') || name === '/dev/zero (deleted)') return name;
  const deleted = name.endsWith(DELETED);
  const path = deleted ? name.slice(0, -DELETED.length) : name;
  const guest = mounts.guestPathOf(path);
  return guest === undefined ? '' : deleted ? guest + DELETED : guest;
}

export function translateMaps(mounts: MountTable, text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER.exec(lines[i]);
    if (!m || !m[2].startsWith('/')) continue;
    const name = guestName(mounts, m[2]);
    if (name !== m[2]) lines[i] = name ? m[1].padEnd(72) + ' ' + name : m[1];
  }
  return lines.join('\n');
}
