// The sandbox's network as programs discover it: one interface, lo, described as the host
// describes its own lo (plus IFF_MULTICAST, which the sandbox's lo carries).
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { sandbox, native, CLI, ROOT } from '../helpers/sandbox.js';
import { compiled } from '../helpers/cc.js';

const IFF_MULTICAST = 0x1000;

test('getifaddrs, if_nameindex and if_nametoindex see only lo, as the host sees its lo', (t) => {
  const prog = compiled('net_ifaces');
  const host = native([prog]);
  t.is(host.status, 0, host.stderr);
  const hostLo = host.stdout
    .split('\n')
    .filter((l) => /^lo |^index 1 lo$|^lo index/.test(l))
    .map((l) => l.replace(/flags=(0x[0-9a-f]+)/, (_, f: string) => `flags=0x${(parseInt(f, 16) | IFF_MULTICAST).toString(16)}`));
  const guest = sandbox([prog]);
  t.is(guest.status, 0, guest.stderr);
  t.deepEqual(guest.stdout.trim().split('\n'), hostLo);
});

/** Run the sandbox asynchronously (the test's own host sockets must keep working meanwhile). */
function start(args: string[]): { child: ChildProcess; out: () => string; done: Promise<number> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? 9 : 0))));
  return { child, out: () => out, done };
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A free host port (bound once by the host, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** One exchange with a host TCP server at port: send text, half-close, read everything. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1' }, () => c.end(text));
    let got = '';
    c.on('data', (d) => (got += d.toString()));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

test('-p publishes a guest listener on the host loopback; without it the port is closed', async (t) => {
  const prog = compiled('net_peer');
  const hostPort = await freePort();
  const guestPort = await freePort();
  await t.throwsAsync(exchange(hostPort, 'x'), { code: 'ECONNREFUSED' });
  const sb = start(['-p', `${hostPort}:${guestPort}`, '--', prog, 'serve', String(guestPort)]);
  await until(() => sb.out().includes('listening'));
  const big = 'hello from the host\n'.repeat(20000);
  t.is(await exchange(hostPort, big), big.toUpperCase());
  t.is(await sb.done, 0);
  t.regex(sb.out(), /served/);
});

test('--net host lets a guest client reach a host server; without it the connect is refused', async (t) => {
  const prog = compiled('net_peer');
  const srv = createServer((c) => c.on('data', (d) => c.write(`host got ${d}`)).on('end', () => c.end()));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = String((srv.address() as AddressInfo).port);
  try {
    const closed = start(['--', prog, 'call', '127.0.0.1', port]);
    t.is(await closed.done, 0);
    t.is(closed.out(), 'connect: ECONNREFUSED\n');
    const far = start(['--', prog, 'call', '192.0.2.1', port]);
    t.is(await far.done, 0);
    t.is(far.out(), 'connect: ENETUNREACH\n');
    const open = start(['--net', 'host', '--', prog, 'call', '127.0.0.1', port]);
    t.is(await open.done, 0);
    t.is(open.out(), 'reply: host got ping\n');
  } finally {
    srv.close();
  }
});

test('--net host: a guest listener also listens on the host', async (t) => {
  const prog = compiled('net_peer');
  const port = await freePort();
  const sb = start(['--net', 'host', '--', prog, 'serve', String(port)]);
  await until(() => sb.out().includes('listening'));
  // the host listener follows the guest's listen(2) asynchronously: retry while refused
  let reply: string | undefined;
  for (let i = 0; i < 200 && reply === undefined; i++) {
    reply = await exchange(port, 'net host\n').catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNREFUSED') throw e;
      await new Promise((r) => setTimeout(r, 25));
      return undefined;
    });
  }
  t.is(reply, 'NET HOST\n');
  t.is(await sb.done, 0);
});

test('localhost and the sandbox hostname resolve to loopback through the sandbox /etc/hosts', (t) => {
  // (getent hosts, not ahosts: AI_ADDRCONFIG finds no address on a loopback-only machine, as
  // in any Linux network namespace that has only lo)
  const r = sandbox(['/bin/sh', '-c', 'getent hosts localhost; getent hosts "$(hostname)"; cat /etc/hostname; hostname']);
  t.is(r.status, 0, r.stderr);
  const [lh, own, file, name] = r.stdout.trim().split('\n');
  t.regex(lh, /^(::1|127\.0\.0\.1)\s+localhost\b/);
  t.regex(own, new RegExp(`^127\\.0\\.0\\.1\\s+${name}$`));
  t.is(file, name);
});

test('--net host carries guest UDP to a host server and its reply back; without it nothing leaves', async (t) => {
  const prog = compiled('net_peer');
  const srv = createSocket('udp4');
  srv.on('message', (m, r) => srv.send(`host got ${m}`, r.port, r.address));
  await new Promise<void>((r) => srv.bind(0, '127.0.0.1', r));
  const port = String(srv.address().port);
  try {
    const far = start(['--', prog, 'udpcall', '192.0.2.1', port]);
    t.is(await far.done, 0);
    t.is(far.out(), 'sendto: ENETUNREACH\n');
    const inside = start(['--', prog, 'udpcall', '127.0.0.1', port]);
    t.is(await inside.done, 0);
    t.is(inside.out(), 'recv: EAGAIN\n');
    const out = start(['--net', 'host', '--', prog, 'udpcall', '127.0.0.1', port]);
    t.is(await out.done, 0);
    t.is(out.out(), 'reply: host got ping\n');
  } finally {
    srv.close();
  }
});
