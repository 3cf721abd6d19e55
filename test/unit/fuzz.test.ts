// The fuzzing harness as regression tests: the committed seeds and every reproducer of a bug the
// fuzzer found run with all invariants checked; random programs decode, print and parse back;
// and each invariant is shown to catch the failure it exists for.
import test from 'ava';
import { Fuzzer } from '../fuzz/runner.js';
import { CORPUS_DIR, CRASH_DIR, loadPrograms } from '../fuzz/main.js';
import { arity, decode, encode } from '../fuzz/codec.js';
import { format, parse, type Program } from '../fuzz/program.js';
import { styles } from '../fuzz/calls.js';
import { rng } from '../fuzz/mutate.js';
import { SYSCALL_TABLE } from '../../src/kernel/syscalls/table.js';
import { NR } from '../../src/kernel/abi/sysnames.js';
import { BLOCKED } from '../../src/kernel/call.js';
import type { Handler } from '../../src/kernel/syscalls/types.js';
import type { PipeEnd } from '../../src/kernel/fd/pipe.js';

const fuzzer = new Fuzzer();
test.after.always(() => fuzzer.remove());

const describe = (r: { violations: { kind: string; call: number; detail: string }[] }): string => r.violations.map((v) => `${v.kind} at call ${v.call}: ${v.detail}`).join('\n');

test.serial('the seed corpus runs with every invariant holding', async (t) => {
  const seeds = loadPrograms(CORPUS_DIR);
  t.true(seeds.length >= 10, 'test/fuzz/corpus holds the seeds');
  for (const [name, p] of seeds) {
    const r = await fuzzer.run(p);
    t.is(describe(r), '', `${name}: fix the kernel (see test/fuzz/README.md)`);
  }
});

test.serial('every reproducer the fuzzer found passes', async (t) => {
  for (const [name, p] of loadPrograms(CRASH_DIR)) {
    const r = await fuzzer.run(p);
    t.is(describe(r), '', `test/fuzz/crashes/${name} still shows the bug`);
  }
  t.pass();
});

test.serial('random programs keep the invariants, and print and parse back to themselves', async (t) => {
  const r = rng(20240611);
  for (let i = 0; i < 150; i++) {
    const bytes = Uint8Array.from({ length: 64 + Math.floor(r() * 1500) }, () => Math.floor(r() * 256));
    const p = decode(bytes).program;
    const text = format(p, styles);
    t.deepEqual(parse(text, arity), p, text);
    t.deepEqual(decode(encode(p)).program, p, text);
    const rep = await fuzzer.run(p);
    t.is(describe(rep), '', `program ${i}:\n${text}`);
  }
});

test('the text form reads comments, names and every argument form', (t) => {
  const text = [
    '# a comment line',
    'r0 = openat(AT_FDCWD, "a\\x00b\\"c", 0x42, 0o644) # trailing comment',
    'r1 = pipe2(&"":8, 0)',
    '$thread()',
    't1: writev(r1[1], &{u64 &"ab", u64 2, u64 &"\\xff":16, u64 16}, 2)',
    'ppoll(&{u32 r0, u16 0x1, u16 0, "\\x00\\x01"}, 1, &end-16, 0, -0x8000000000000000)',
  ].join('\n');
  const p = parse(text, arity);
  t.deepEqual(p[0].args[1], { k: 'str', s: 'a\0b"c' });
  t.deepEqual(p[3].args[1], { k: 'struct', fields: [{ w: 8, v: { k: 'buf', data: 'ab', size: 2 } }, { w: 8, v: { k: 'int', v: 2 } }, { w: 8, v: { k: 'buf', data: '\xff', size: 16 } }, { w: 8, v: { k: 'int', v: 16 } }] });
  t.is(p[3].task, 1);
  t.deepEqual(p[4].args[2], { k: 'end', back: 16 });
  t.deepEqual(p[4].args[4], { k: 'int', v: -(2 ** 63) });
  t.deepEqual(parse(format(p, styles), arity), p);
  t.throws(() => parse('read(r3, 0, 0)', arity), { message: /r3, which is not an earlier call/ });
  t.throws(() => parse('t1: getpid()', arity), { message: /task 1, which is not alive/ });
  t.throws(() => parse('read(1, 2)', arity), { message: /read takes 3 arguments/ });
  t.throws(() => parse('nosuchcall()', arity), { message: /unknown call nosuchcall/ });
});

/** Run prog with the getpid handler replaced by h. */
async function withGetpid(h: Handler, prog: string): Promise<string[]> {
  const table = SYSCALL_TABLE as (Handler | undefined)[];
  const saved = table[NR.getpid];
  table[NR.getpid] = h;
  try {
    const p: Program = parse(prog, arity);
    return (await fuzzer.run(p)).violations.map((v) => v.kind);
  } finally {
    table[NR.getpid] = saved;
  }
}

test.serial('the invariants catch a throwing handler, a bad answer, a lost call, a leak and a lost wake-up', async (t) => {
  t.deepEqual(await withGetpid(() => {
    throw new Error('boom');
  }, 'getpid()'), ['kernel-bug']);
  t.deepEqual(await withGetpid(() => -516, 'getpid()'), ['bad-result']); // -ERESTART_RESTARTBLOCK with no signal
  t.deepEqual(await withGetpid(() => -5000, 'getpid()'), ['bad-result']);
  t.deepEqual(await withGetpid(() => BLOCKED, 'getpid()'), ['lost-call']);
  t.deepEqual(await withGetpid((_k, c) => (c.task.files.get(3)!.incRef(), 0), 'eventfd2(0, 0)\ngetpid()'), ['file-leak']);
  // a wait whose condition holds but that nobody woke: data put in the pipe behind its queue's back
  const sneak: Handler = (_k, c) => ((c.task.files.get(3) as PipeEnd).pipe.append(Buffer.from('x')), 0);
  t.deepEqual(await withGetpid(sneak, 'r0 = pipe2(&"":8, 0)\n$thread()\nt1: read(r0[0], &"":8, 8)\ngetpid()'), ['lost-wakeup']);
});
