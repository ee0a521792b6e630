// System call numbers. 1..21 match xv6-riscv; 22 and up are ours.
#define SYS_fork    1
#define SYS_exit    2
#define SYS_wait    3
#define SYS_pipe    4
#define SYS_read    5
#define SYS_kill    6
#define SYS_exec    7
#define SYS_fstat   8
#define SYS_chdir   9
#define SYS_dup    10
#define SYS_getpid 11
#define SYS_sbrk   12
#define SYS_sleep  13
#define SYS_uptime 14
#define SYS_open   15
#define SYS_write  16
#define SYS_mknod  17
#define SYS_unlink 18
#define SYS_link   19
#define SYS_mkdir  20
#define SYS_close  21
#define SYS_connect 22  // UDP socket: connect(raddr, lport, rport)
#define SYS_netstat 23  // copy network counters out: netstat(struct netstat*)
#define SYS_sysinfo 24  // copy kernel memory counters out: sysinfo(struct sysinfo*)
#define SYS_nsecs   25  // nanoseconds since boot, from the time CSR
#define SYS_sockopt 26  // socket options, e.g. receive timeout
#define SYS_sbrklazy 27 // sbrk whose pages are allocated on first touch
#define SYS_bind    28  // MIT's 2024 net lab: queue datagrams for a local port
#define SYS_unbind  29
#define SYS_send    30  // one datagram from a local port: send(sport, dst, dport, buf, len)
#define SYS_recv    31  // the oldest datagram on a bound port
#define SYS_sendmsgs 32 // batched write() of a socket: up to UDP_BATCH_MAX datagrams
#define SYS_recvmsgs 33 // batched read()
#define SYS_socklist 34 // describe every socket: socklist(struct sockinfo*, n)
#define SYS_netmode  35 // switch the driver's mode at run time
#define SYS_netceiling 36 // the device path alone: udpbench ceiling
#define SYS_ifget   37  // the interface's addresses: ifget(struct ifinfo*)
#define SYS_ifset   38  // set them (dhcpc, by hand): ifset(struct ifinfo*)
#define SYS_arplist 39  // describe the neighbour cache: arplist(struct arpinfo*, n)
#define SYS_arpctl  40  // flush it or set its entries' lifetime
#define SYS_icmpconnect 41 // ICMP echo socket to an address: an fd
#define SYS_netstages 42 // per-stage time histograms: netstages(struct netstages*, flags)
#define SYS_cpustat 43 // traps and instruction counts: cpustat(struct cpustat*)
#define SYS_tcpconnect 44 // TCP: connect to addr:port, an fd once established
#define SYS_tcplisten  45 // TCP: listen on a port with a backlog: an fd for tcpaccept
#define SYS_tcpaccept  46 // TCP: the next connection: an fd, the peer's address and port
#define SYS_tcpshutdown 47 // TCP: shut down the sending side (FIN)
#define SYS_tcplist    48 // TCP: describe listeners and connections (struct tcpinfo)
#define SYS_tcpctl     49 // TCP: read or set a parameter of new connections (MSL, retries, RTO)

// xv6-riscv's 2025 name for sleep: the same call.
#define SYS_pause  SYS_sleep
