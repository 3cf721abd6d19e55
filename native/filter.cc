// The seccomp-BPF program installed in the first guest before its exec (DESIGN.md section 2):
// ALLOW for calls that touch only the caller's own memory, time and signal state; TRACE for
// execve/execveat (the kernel rewrites paths); USER_NOTIF for everything else.
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <errno.h>

#include "common.h"

namespace starry {

static const int kNativeAllowed[] = {
    SYS_munmap, SYS_mprotect, SYS_madvise, SYS_mremap, SYS_brk,
    SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday, SYS_time,
    SYS_nanosleep, SYS_clock_nanosleep, SYS_sched_yield, SYS_getrandom,
    SYS_rt_sigprocmask, SYS_sigaltstack, SYS_arch_prctl, SYS_rseq,
    SYS_set_robust_list, SYS_membarrier, SYS_futex_waitv,
    SYS_getpid, SYS_gettid, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid,
    SYS_getresuid, SYS_getresgid, SYS_getgroups,
};
// Always native, even with --strace: the signal return path and the ends of a task.
static const int kAlwaysAllowed[] = {SYS_rt_sigreturn, SYS_restart_syscall, SYS_exit, SYS_exit_group};

std::vector<sock_filter> BuildFilter(bool traceAll) {
  std::vector<sock_filter> f;
  auto stmt = [&](uint16_t code, uint32_t k) { f.push_back(BPF_STMT(code, k)); };
  auto jump = [&](uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    f.push_back(BPF_JUMP(code, k, jt, jf));
  };
  const uint32_t kNr = offsetof(seccomp_data, nr);
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  stmt(BPF_LD | BPF_W | BPF_ABS, kNr);
  // x32 system calls: not supported, as on a kernel built without CONFIG_X86_X32_ABI
  jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  for (int nr : kAlwaysAllowed) {
    jump(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  }
  jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 1, 0);
  jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, 0, 1);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  if (!traceAll) {
    // mmap runs natively only when anonymous; file mappings go to the kernel
    jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 4);
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args) + 3 * 8);
    jump(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 0, 1);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
    // futex runs natively except for the priority-inheritance operations, whose futex word
    // names an owner thread by tid (the kernel checks that one is the sandbox's)
    jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 0, 15);  // not futex: skip the next 15
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args) + 1 * 8);
    stmt(BPF_ALU | BPF_AND | BPF_K, 0x7f);  // FUTEX_CMD_MASK: no PRIVATE_FLAG, no CLOCK_REALTIME
    for (uint32_t pi : {6u /* LOCK_PI */, 7u /* UNLOCK_PI */, 8u /* TRYLOCK_PI */, 11u /* WAIT_REQUEUE_PI */,
                        12u /* CMP_REQUEUE_PI */, 13u /* LOCK_PI2 */}) {
      jump(BPF_JMP | BPF_JEQ | BPF_K, pi, 0, 1);
      stmt(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
    }
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    for (int nr : kNativeAllowed) {
      jump(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
  }
  stmt(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  return f;
}

}  // namespace starry
