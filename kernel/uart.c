// Driver for the 16550-compatible UART that QEMU's virt machine puts at
// UART0 (register map from the National Semiconductor PC16550D datasheet).
//
// Output has two paths:
//  - uartputc() appends to a small ring; the transmit-empty interrupt (or
//    the next uartputc) moves ring bytes into the transmit register. A
//    writer sleeps while the ring is full. Used by console writes.
//  - uartputc_sync() busy-waits on the hardware with interrupts off. Used
//    by kernel printf and for echoing typed characters, which must not sleep.
// Input: the receive interrupt hands each byte to consoleintr().

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"

// Register offsets from UART0 (each register is one byte wide).
#define RBR 0   // receive buffer (read)
#define THR 0   // transmit holding (write)
#define DLL 0   // divisor latch low (when LCR.DLAB is set)
#define IER 1   // interrupt enable
#define DLM 1   // divisor latch high (when LCR.DLAB is set)
#define IIR 2   // interrupt identification (read)
#define FCR 2   // FIFO control (write)
#define LCR 3   // line control
#define LSR 5   // line status

#define IER_RX      (1 << 0)  // interrupt when a byte arrives
#define IER_TX      (1 << 1)  // interrupt when THR becomes empty
#define FCR_ENABLE  (1 << 0)
#define FCR_CLEAR   (3 << 1)  // reset both receive and transmit FIFOs
#define LCR_8N1     3         // 8 data bits, no parity, 1 stop bit
#define LCR_DLAB    (1 << 7)  // divisor latch access
#define LSR_RXREADY (1 << 0)  // a received byte is waiting in RBR
#define LSR_TXEMPTY (1 << 5)  // THR can take another byte

static inline uint8
uart_read(int reg)
{
  return *(volatile uint8 *)(KDEV(UART0) + reg);
}

static inline void
uart_write(int reg, uint8 v)
{
  *(volatile uint8 *)(KDEV(UART0) + reg) = v;
}

extern volatile int panicked;   // printf.c: set once panic() has printed

#define UART_RING 32

// Transmit ring. Bytes tx_next .. tx_end-1 are waiting to be sent; the
// counters only grow and are reduced modulo UART_RING when indexing.
static struct {
  struct spinlock lock;   // guards everything below
  char ring[UART_RING];
  uint64 tx_next;         // next byte to hand to THR
  uint64 tx_end;          // where the next byte is appended
} uart;

// Program the UART: 38.4K 8N1 (the baud rate means nothing to QEMU),
// FIFOs on, receive and transmit-empty interrupts on.
void
uartinit(void)
{
  uart_write(IER, 0);                 // quiet while we set it up
  uart_write(LCR, LCR_DLAB);
  uart_write(DLL, 3);                 // 115200 / 3 = 38400 baud
  uart_write(DLM, 0);
  uart_write(LCR, LCR_8N1);           // also clears DLAB
  uart_write(FCR, FCR_ENABLE | FCR_CLEAR);
  uart_write(IER, IER_RX | IER_TX);

  initlock(&uart.lock, "uart");
}

// Move queued bytes into the hardware while it has room, and wake any
// writer waiting for ring space. Caller holds uart.lock.
static void
uart_kick(void)
{
  uint64 start = uart.tx_next;

  // If THR is busy we stop; the transmit-empty interrupt calls us again.
  while(uart.tx_next != uart.tx_end && (uart_read(LSR) & LSR_TXEMPTY)){
    uart_write(THR, uart.ring[uart.tx_next % UART_RING]);
    uart.tx_next++;
  }
  if(uart.tx_next != start)
    wakeup(&uart.tx_next);
}

// Queue byte c for output, sleeping while the ring is full. Must be
// called from a process, without uart.lock or any other spinlock held.
void
uartputc(int c)
{
  acquire(&uart.lock);
  if(panicked){
    for(;;)
      ;
  }
  while(uart.tx_end - uart.tx_next == UART_RING)
    sleep(&uart.tx_next, &uart.lock);
  uart.ring[uart.tx_end % UART_RING] = c;
  uart.tx_end++;
  uart_kick();
  release(&uart.lock);
}

// Send byte c directly, spinning until the transmitter takes it. Never
// sleeps, so it is safe from interrupt handlers and with locks held.
void
uartputc_sync(int c)
{
  push_off();
  if(panicked){
    for(;;)
      ;
  }
  while((uart_read(LSR) & LSR_TXEMPTY) == 0)
    ;
  uart_write(THR, c);
  pop_off();
}

// Return the next received byte, or -1 if none is waiting.
int
uartgetc(void)
{
  if(uart_read(LSR) & LSR_RXREADY)
    return uart_read(RBR);
  return -1;
}

// UART interrupt: pass received bytes to the console and keep the
// transmit ring moving. Called from devintr() with interrupts off.
void
uartintr(void)
{
  int c;

  // Reading IIR acknowledges a pending transmit-empty interrupt; without
  // it the line would stay raised once the ring has drained.
  uart_read(IIR);

  while((c = uartgetc()) >= 0)
    consoleintr(c);

  acquire(&uart.lock);
  uart_kick();
  release(&uart.lock);
}
