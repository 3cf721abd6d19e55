/* net_ifaces: the network interfaces as getifaddrs(3), if_nameindex(3) and if_nametoindex(3)
 * see them (rtnetlink dumps and SIOCGIFINDEX). Not a differential program: the host has more
 * interfaces than the sandbox's lo (see test/integration/network.test.ts). */
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
int main(void){
  struct ifaddrs *ifa, *p;
  if (getifaddrs(&ifa)) { perror("getifaddrs"); return 1; }
  for (p = ifa; p; p = p->ifa_next) {
    char buf[64] = "-";
    int fam = p->ifa_addr ? p->ifa_addr->sa_family : -1;
    if (fam == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in*)p->ifa_addr)->sin_addr, buf, sizeof buf);
    if (fam == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6*)p->ifa_addr)->sin6_addr, buf, sizeof buf);
    printf("%s fam=%d addr=%s flags=%#x\n", p->ifa_name, fam, buf, p->ifa_flags);
  }
  freeifaddrs(ifa);
  struct if_nameindex *ni = if_nameindex(), *q;
  for (q = ni; q && q->if_index; q++) printf("index %u %s\n", q->if_index, q->if_name);
  if_freenameindex(ni);
  printf("lo index %u\n", if_nametoindex("lo"));
  return 0;
}
