// /proc/net (a link to self/net) and /proc/PID/net: the sandbox's one network namespace, its
// sockets and its one interface lo, in the formats of Linux's net/ procfs files. The SNMP
// counter files keep the running kernel's field names with the sandbox's (zero) counts.
import type { Kernel } from '../kernel.js';
import { file, hostText, type Tree } from './procfs.js';
import { HEADERS, inUse, pad, tcpTable, udpTable } from './procnet-inet.js';
import { unixTable } from './procnet-unix.js';
import { Socket } from '../net/socket.js';
import { AF_INET, AF_INET6 } from '../net/sockaddr.js';

/** raw_seq_show's header: the sandbox has no raw sockets. */
const RAW_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n';

const DEV_HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

/** dev_seq_printf_stats: lo receives everything it sends. */
function dev(k: Kernel): string {
  const { bytes, packets } = k.inet.lo;
  const n = (v: number, w: number): string => String(v).padStart(w);
  const half = `${n(bytes, 7)} ${n(packets, 7)} ${n(0, 4)} ${n(0, 4)} ${n(0, 4)} ${n(0, 5)}`;
  return `${DEV_HEADER}${'lo'.padStart(6)}: ${half} ${n(0, 10)} ${n(0, 9)} ${n(bytes, 8)} ${n(packets, 7)} ${n(0, 4)} ${n(0, 4)} ${n(0, 4)} ${n(0, 5)} ${n(0, 7)} ${n(0, 10)}\n`;
}

/** if6_seq_show: ::1/128 on lo (index 1), scope host, IFA_F_PERMANENT. */
const IF_INET6 = `${'0'.repeat(31)}1 01 80 10 80 ${'lo'.padStart(8)}\n`;

/** fib_route_seq_show: the main table has no IPv4 route when lo is the only interface (lo's routes are in the local table). */
const ROUTE = pad('Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT', 127);

function sockstat(k: Kernel): string {
  const v4 = inUse(k.inet, AF_INET);
  const v6 = inUse(k.inet, AF_INET6);
  let tcpAlloc = 0;
  for (const socks of k.inet.tcp.byPort.values()) for (const s of socks) if (s instanceof Socket) tcpAlloc++;
  return (
    `sockets: used ${Socket.used}\n` +
    `TCP: inuse ${v4.tcp} orphan 0 tw ${v4.tw + v6.tw} alloc ${tcpAlloc} mem 0\n` +
    `UDP: inuse ${v4.udp} mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n`
  );
}

function sockstat6(k: Kernel): string {
  const v6 = inUse(k.inet, AF_INET6);
  return `TCP6: inuse ${v6.tcp}\nUDP6: inuse ${v6.udp}\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n`;
}

/** Values of counters the sandbox's stack has without counting anything (snmp4_seq_show). */
const FIXED: Record<string, number> = { 'Ip:Forwarding': 2, 'Ip:DefaultTTL': 64, 'Tcp:RtoAlgorithm': 1, 'Tcp:RtoMin': 200, 'Tcp:RtoMax': 120000, 'Tcp:MaxConn': -1 };

/**
 * The running kernel's counter names (they change between versions) from the host's file, each
 * with the sandbox's value: zero where the sandbox keeps no count. IcmpMsg lines list only the
 * message types seen, so none.
 */
function counters(name: string, values: Record<string, number>): string {
  const lines = hostText(`/proc/net/${name}`).toString('latin1').split('\n');
  let out = '';
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const fields = lines[i].split(' ');
    const group = fields[0];
    if (group === 'IcmpMsg:') continue;
    out += `${lines[i]}\n${group}${fields
      .slice(1)
      .map((f) => ` ${values[group + f] ?? 0}`)
      .join('')}\n`;
  }
  return out;
}

function snmp(k: Kernel): string {
  const estab = inUse(k.inet, AF_INET).estab + inUse(k.inet, AF_INET6).estab;
  return counters('snmp', { ...FIXED, 'Tcp:CurrEstab': estab });
}

/** The files of /proc/net. */
export function procNet(k: Kernel): Tree {
  return {
    dev: file(() => dev(k)),
    if_inet6: file(() => IF_INET6),
    netstat: file(() => counters('netstat', {})),
    raw: file(() => RAW_HEADER),
    raw6: file(() => `${HEADERS.udp6}\n`),
    route: file(() => ROUTE),
    snmp: file(() => snmp(k)),
    sockstat: file(() => sockstat(k)),
    sockstat6: file(() => sockstat6(k)),
    tcp: file(() => tcpTable(k.inet, AF_INET)),
    tcp6: file(() => tcpTable(k.inet, AF_INET6)),
    udp: file(() => udpTable(k.inet, AF_INET)),
    udp6: file(() => udpTable(k.inet, AF_INET6)),
    unix: file(() => unixTable(k.unix)),
  };
}
