// Calls that need capabilities the guest does not have (capabilities(7)): they fail with
// EPERM as for an unprivileged process on Linux, without the host ever seeing them. Namespaces
// count among them: the sandbox is the guest's only namespace.
import type { Family, Handler } from './types.js';
import { EACCES, EPERM } from '../errno.js';

const refuse: Handler = () => -EPERM;

const NAMES = [
  // reaching into other processes
  'ptrace', 'process_vm_readv', 'process_vm_writev',
  'mount', 'umount2', 'pivot_root', 'chroot', 'unshare', 'setns', 'move_mount', 'open_tree',
  'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr', 'bpf',
  'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'reboot',
  'swapon', 'swapoff', 'iopl', 'ioperm', 'acct', 'syslog', 'settimeofday',
  'clock_settime', 'clock_adjtime', 'adjtimex', 'sethostname', 'setdomainname', 'vhangup',
  'open_by_handle_at', 'fanotify_init', 'lookup_dcookie', 'userfaultfd', 'process_madvise',
  'kcmp', 'pidfd_getfd',
];

export const privilegedFamily: Family = {
  ...Object.fromEntries(NAMES.map((n) => [n, refuse])),
  // perf_event_paranoid >= 2 refuses unprivileged callers with EACCES
  perf_event_open: () => -EACCES,
};
