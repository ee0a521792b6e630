// Intel 82540EM (E1000) registers, bits and legacy descriptors, as used by
// kernel/e1000.c. Facts from the "PCI/PCI-X Family of Gigabit Ethernet
// Controllers Software Developer's Manual" (8254x), chapters 3 and 13, as
// QEMU's hw/net/e1000.c emulates them. Offsets are in bytes from BAR0.

// General registers (manual 13.3)
#define E1000_CTRL    0x0000   // device control
#define E1000_STATUS  0x0008   // device status
#define E1000_ICR     0x00C0   // interrupt cause read: reading returns and clears it
#define E1000_ITR     0x00C4   // interrupt throttling
#define E1000_ICS     0x00C8   // interrupt cause set
#define E1000_IMS     0x00D0   // interrupt mask set: writing 1 bits enables those causes
#define E1000_IMC     0x00D8   // interrupt mask clear: writing 1 bits disables them

// Receive registers
#define E1000_RCTL    0x0100   // receive control: every write stalls QEMU's RX for 1 s
#define E1000_RDBAL   0x2800   // RX ring base, low 32 bits
#define E1000_RDBAH   0x2804   // RX ring base, high 32 bits
#define E1000_RDLEN   0x2808   // RX ring length in bytes (multiple of 128)
#define E1000_RDH     0x2810   // RX head: next descriptor the device fills
#define E1000_RDT     0x2818   // RX tail: the device owns RDH .. RDT-1
#define E1000_RDTR    0x2820   // RX delay timer
#define E1000_RADV    0x282C   // RX absolute delay timer

// Transmit registers
#define E1000_TCTL    0x0400   // transmit control
#define E1000_TIPG    0x0410   // transmit inter-packet gap
#define E1000_TDBAL   0x3800   // TX ring base, low 32 bits
#define E1000_TDBAH   0x3804   // TX ring base, high 32 bits
#define E1000_TDLEN   0x3808   // TX ring length in bytes (multiple of 128)
#define E1000_TDH     0x3810   // TX head: next descriptor the device sends
#define E1000_TDT     0x3818   // TX tail: one past the last descriptor we queued
#define E1000_TIDV    0x3820   // TX interrupt delay
#define E1000_TADV    0x382C   // TX absolute interrupt delay

// Statistics and address filters
#define E1000_MPC     0x4010   // missed packets count (manual: cleared by reading; QEMU: a running total)
#define E1000_MTA     0x5200   // multicast table array, 128 32-bit words
#define E1000_MTA_LEN 128
#define E1000_RAL0    0x5400   // receive address 0, low: MAC bytes 0..3
#define E1000_RAH0    0x5404   // receive address 0, high: MAC bytes 4..5 and AV

#define E1000_RAH_AV  (1U << 31)  // receive address valid

// Interrupt causes: the same bits in ICR, ICS, IMS and IMC (manual 13.4.17)
#define E1000_ICR_TXDW    0x01   // a TX descriptor was written back
#define E1000_ICR_TXQE    0x02   // TX queue empty
#define E1000_ICR_LSC     0x04   // link status change
#define E1000_ICR_RXDMT0  0x10   // free RX descriptors fell below the threshold
#define E1000_ICR_RXO     0x40   // receiver overrun: a frame was missed
#define E1000_ICR_RXT0    0x80   // receiver timer: a frame was received

// RCTL bits (manual 13.4.22). BSIZE 00 with BSEX 0 means 2048-byte buffers.
#define E1000_RCTL_EN     (1U << 1)    // receiver enable
#define E1000_RCTL_BAM    (1U << 15)   // accept broadcast frames
#define E1000_RCTL_BSIZE_2048 (0U << 16)
#define E1000_RCTL_SECRC  (1U << 26)   // strip the Ethernet CRC

// TCTL bits (manual 13.4.33)
#define E1000_TCTL_EN     (1U << 1)    // transmitter enable
#define E1000_TCTL_PSP    (1U << 3)    // pad short packets to 64 bytes
#define E1000_TCTL_CT_SHIFT   4        // collision threshold
#define E1000_TCTL_COLD_SHIFT 12       // collision distance

// TIPG fields (manual 13.4.34): the recommended values for copper.
#define E1000_TIPG_IPGT   10
#define E1000_TIPG_IPGR1  (8 << 10)
#define E1000_TIPG_IPGR2  (6 << 20)

// Legacy receive descriptor (manual 3.2.3). The device writes length,
// csum, status, errors; the driver writes addr and clears status.
struct e1000_rxdesc {
  uint64 addr;             // physical address of a 2048-byte buffer
  uint16 length;           // bytes written into the buffer
  uint16 csum;             // packet checksum (unused)
  volatile uint8 status;   // E1000_RXD_STAT_*; the device ORs bits in
  uint8 errors;            // nonzero: the frame is bad
  uint16 special;          // VLAN tag (unused)
};

#define E1000_RXD_STAT_DD   0x01   // descriptor done: the device filled it
#define E1000_RXD_STAT_EOP  0x02   // last descriptor of the frame

// Legacy transmit descriptor (manual 3.3.3).
struct e1000_txdesc {
  uint64 addr;             // physical address of the frame
  uint16 length;           // bytes to send
  uint8 cso;               // checksum offset (unused)
  uint8 cmd;               // E1000_TXD_CMD_*
  volatile uint8 status;   // E1000_TXD_STAT_*; written back by the device
  uint8 css;               // checksum start (unused)
  uint16 special;          // VLAN tag (unused)
};

#define E1000_TXD_CMD_EOP   0x01   // last descriptor of the frame
#define E1000_TXD_CMD_IFCS  0x02   // the device appends the Ethernet CRC
#define E1000_TXD_CMD_RS    0x08   // report status: write DD back when done
#define E1000_TXD_CMD_IDE   0x80   // interrupt delay enable (unused)
#define E1000_TXD_STAT_DD   0x01   // descriptor done (only if RS was set)
