// The network interface's configuration and neighbour cache, as user
// programs see them: ifget()/ifset() (ifconfig, dhcpc) and
// arplist()/arpctl() (arp). Shared by the kernel (kernel/net.c,
// kernel/arp.c) and user programs; include kernel/types.h first.
// Addresses are IPv4 in host byte order.

#ifndef XV6_NETIF_H
#define XV6_NETIF_H

// Where the interface's addresses came from (struct ifinfo.source).
#define IF_UNSET  0   // no address: sends from 0.0.0.0 (dhcpc, before a lease)
#define IF_DHCP   1   // leased from a DHCP server
#define IF_STATIC 2   // the boot default, dhcpc's fallback, or set by hand

struct ifinfo {
  uint8 mac[6];       // ifget only: the card's Ethernet address
  uint16 source;      // IF_*
  uint32 addr;        // our address (0 when IF_UNSET)
  uint32 netmask;     // e.g. 0xffffff00; contiguous ones
  uint32 gateway;     // next hop off the subnet, 0 = none
  uint32 dns;         // DNS server, 0 = none
  uint32 server;      // the DHCP server that leased addr, 0 = none
  uint32 lease;       // lease length in seconds, 0 = none
  uint32 since;       // ifget only: uptime in seconds when ifset() set this
};

// The kernel's configuration at boot, before dhcpc runs: QEMU slirp's
// layout, so an image without dhcpc still reaches the host.
#define IF_BOOT_ADDR    0x0A00020F   // 10.0.2.15
#define IF_BOOT_NETMASK 0xFFFFFF00   // /24
#define IF_BOOT_GATEWAY 0x0A000202   // 10.0.2.2
#define IF_BOOT_DNS     0x0A000203   // 10.0.2.3

// One neighbour cache entry, as arplist() reports it.
#define ARP_PENDING   1   // asked, no answer yet
#define ARP_REACHABLE 2   // confirmed less than ttl/2 ago
#define ARP_STALE     3   // older: its next use sends a refresh request

struct arpinfo {
  uint32 ip;
  uint8 mac[6];       // zero while ARP_PENDING
  uint16 state;       // ARP_*
  uint32 age_ms;      // since the entry was last confirmed (or asked for)
  uint32 pad;
};

// arpctl(op, arg)
#define ARPCTL_FLUSH 1    // forget every entry; returns 0
#define ARPCTL_TTL   2    // set the entries' lifetime to arg seconds (1..3600;
                          // 0 only reads it); returns the old lifetime
#define ARP_TTL_MAX  3600
#define ARP_TTL_DEFAULT 60

#endif
