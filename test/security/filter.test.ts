// The native allowlist, audited: the seccomp-BPF program the addon installs is run here, in a
// small BPF interpreter, over every system call number; what it lets run natively must be
// exactly native/ALLOWLIST.md's table, and foreign architectures must not get in at all.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../../src/engine/native.js';
import { NR, SYSCALL_NAMES } from '../../src/kernel/abi/sysnames.js';
import { ROOT } from '../helpers/sandbox.js';

const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
const SECCOMP_RET_TRACE = 0x7ff00000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const MAP_ANONYMOUS = 0x20;

/** Run the program on seccomp_data {nr, arch, ip, args}: the action's top 16 bits and data. */
function run(prog: number[], nr: number, arch: number, args: number[] = []): number {
  const data = new DataView(new ArrayBuffer(64));
  data.setInt32(0, nr, true);
  data.setUint32(4, arch, true);
  args.forEach((a, i) => data.setBigUint64(16 + 8 * i, BigInt(a), true));
  let acc = 0;
  for (let pc = 0; pc < prog.length / 4; ) {
    const [code, jt, jf, k] = prog.slice(4 * pc, 4 * pc + 4);
    switch (code) {
      case 0x20: // BPF_LD | BPF_W | BPF_ABS
        acc = data.getUint32(k, true);
        pc++;
        break;
      case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
        pc += 1 + (acc === k >>> 0 ? jt : jf);
        break;
      case 0x35: // BPF_JMP | BPF_JGE | BPF_K
        pc += 1 + (acc >>> 0 >= k >>> 0 ? jt : jf);
        break;
      case 0x54: // BPF_ALU | BPF_AND | BPF_K
        acc = (acc & k) >>> 0;
        pc++;
        break;
      case 0x45: // BPF_JMP | BPF_JSET | BPF_K
        pc += 1 + ((acc & k) !== 0 ? jt : jf);
        break;
      case 0x06: // BPF_RET | BPF_K
        return k >>> 0;
      default:
        throw new Error(`the filter uses BPF opcode 0x${code.toString(16)}: teach this interpreter`);
    }
  }
  throw new Error('the filter fell off its end');
}

function audited(): Set<string> {
  const table = readFileSync(join(ROOT, 'native', 'ALLOWLIST.md'), 'utf8');
  return new Set([...table.matchAll(/^\| ([a-z_0-9]+) \|/gm)].map((m) => m[1]).filter((n) => n !== 'syscall'));
}

test('only the audited system calls run natively; execve and execveat stop at the tracer', (t) => {
  const prog = native.filterProgram(false);
  const allowed = new Set<string>();
  const traced = new Set<string>();
  for (let nr = 0; nr < 512; nr++) {
    const name = SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
    const a = run(prog, nr, AUDIT_ARCH_X86_64, [0, 0, 0, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, 0, 0]);
    if (a === SECCOMP_RET_ALLOW) allowed.add(name);
    else if (a === SECCOMP_RET_TRACE) traced.add(name);
    else t.is(a, SECCOMP_RET_USER_NOTIF, `${name} is neither allowed, traced nor sent to the kernel`);
  }
  t.deepEqual([...allowed].sort(), [...audited()].sort());
  t.deepEqual([...traced].sort(), ['execve', 'execveat']);
  // priority-inheritance futexes name an owner thread: the kernel's business
  for (const op of [6, 7, 8, 11, 12, 13]) {
    t.is(run(prog, NR.futex, AUDIT_ARCH_X86_64, [0, op | 128]), SECCOMP_RET_USER_NOTIF, `futex op ${op}`);
  }
  for (const op of [0, 1, 9, 10, 5, 3, 4]) t.is(run(prog, NR.futex, AUDIT_ARCH_X86_64, [0, op | 128]), SECCOMP_RET_ALLOW, `futex op ${op}`);
  // a file mapping is the kernel's business
  t.is(run(prog, NR.mmap, AUDIT_ARCH_X86_64, [0, 4096, 1, 0x2 /* MAP_PRIVATE */, 3, 0]), SECCOMP_RET_USER_NOTIF);
  t.not(run(prog, NR.mmap, AUDIT_ARCH_X86_64, [0, 4096, 1, MAP_ANONYMOUS | 0x2, -1, 0]), SECCOMP_RET_USER_NOTIF);
});

test('32-bit and x32 entry cannot run anything', (t) => {
  const prog = native.filterProgram(false);
  for (const nr of [NR.getpid, NR.openat, 11 /* i386 execve */, 5 /* i386 open */]) {
    t.is(run(prog, nr, AUDIT_ARCH_I386), SECCOMP_RET_KILL_PROCESS);
  }
  for (const nr of [NR.getpid, NR.openat, NR.execve]) t.is(run(prog, nr | 0x40000000, AUDIT_ARCH_X86_64), SECCOMP_RET_ERRNO | 38 /* ENOSYS */);
});

test('under --strace only the signal return path and the ends of a task run natively', (t) => {
  const prog = native.filterProgram(true);
  const allowed: string[] = [];
  for (let nr = 0; nr < 512; nr++) if (run(prog, nr, AUDIT_ARCH_X86_64, [0, 0, 0, 0x22]) === SECCOMP_RET_ALLOW) allowed.push(SYSCALL_NAMES[nr] ?? `syscall_${nr}`);
  t.deepEqual(allowed.sort(), ['exit', 'exit_group', 'restart_syscall', 'rt_sigreturn']);
});
