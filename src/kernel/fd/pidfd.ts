// pidfds (pidfd_open(2)) for sandbox processes: the host's own pidfd, so poll, epoll and
// waitid(P_PIDFD) work natively; the kernel only makes them for processes of the sandbox.
import { HostFile } from './hostfile.js';
import { O_RDWR } from './openfile.js';

export class PidFd extends HostFile {
  constructor(
    hostFd: number,
    flags: number,
    readonly pid: number,
  ) {
    super(hostFd, O_RDWR | flags, undefined, 'anon_inode:[pidfd]');
  }
}
