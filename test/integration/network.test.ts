// The sandbox's network as programs discover it: one interface, lo, described as the host
// describes its own lo (plus IFF_MULTICAST, which the sandbox's lo carries).
import test from 'ava';
import { sandbox, native } from '../helpers/sandbox.js';
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
