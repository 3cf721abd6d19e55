// /proc/mounts and /proc/PID/mountinfo: the sandbox's own mount table, never the host's. Each
// mount shows its root as "/" (a single-file mount: "/NAME"), so no host directory is named, but
// for an overlay's layers, which Linux shows in its options (lowerdir=, upperdir=) and which the
// user named on the command line.
import type { Kernel } from '../kernel.js';
import type { Mount } from './mount.js';
import * as host from '../../host/sys.js';

/** Spaces, tabs, newlines and backslashes as octal escapes (Linux's mangle()). */
function mangle(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** A value in a filesystem's options, escaped as seq_show_option escapes it. */
function optionValue(s: string): string {
  return s.replace(/[,= \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** "major:minor" of the filesystem a mount shows. */
function device(m: Mount): string {
  if (m.generated) return `0:${m.generated.dev}`;
  // an overlay: its upper layer's, as statfs reports the upper layer's filesystem
  const r = m.upper ? host.fstat(m.upper.rootFd) : m.entry ? host.fstatat(m.rootFd, m.entry, host.AT_SYMLINK_NOFOLLOW) : host.fstat(m.rootFd);
  if (r < 0) return '0:0';
  const dev = BigInt(host.statDev());
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return `${major}:${minor}`;
}

function options(m: Mount): string {
  return `${m.readOnly ? 'ro' : 'rw'},relatime`;
}

/** The filesystem's own options (the super options of mountinfo). */
function superOptions(m: Mount): string {
  const ro = m.readOnly ? 'ro' : 'rw';
  return m.upper ? `${ro},lowerdir=${optionValue(m.host)},upperdir=${optionValue(m.upper.host)}` : ro;
}

function inOrder(k: Kernel): Mount[] {
  return k.mounts.all().slice().sort((a, b) => a.id - b.id);
}

export function mounts(k: Kernel): string {
  return inOrder(k).map((m) => `${m.type} ${mangle(m.guest)} ${m.type} ${options(m)}${m.upper ? superOptions(m).slice(2) : ''} 0 0\n`).join('');
}

export function mountinfo(k: Kernel): string {
  return inOrder(k)
    .map((m) => `${m.id} ${m.parentId} ${device(m)} ${m.entry ? mangle('/' + m.entry) : '/'} ${mangle(m.guest)} ${options(m)} - ${m.type} ${m.type} ${superOptions(m)}\n`)
    .join('');
}
