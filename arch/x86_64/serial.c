// COM1: a 16550 UART at 115200 8N1. Output is polled (the debugger must be
// able to print with interrupts off); input raises IRQ 4 and the bytes go to
// the console layer, or are polled while the debugger has the system frozen.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define COM1_BASE        0x3F8
#define UART_DATA        0   // receive / transmit buffer (DLAB = 0)
#define UART_IER         1   // interrupt enable (DLAB = 0)
#define UART_DLL         0   // divisor latch low (DLAB = 1)
#define UART_DLM         1   // divisor latch high (DLAB = 1)
#define UART_FCR         2   // FIFO control (write)
#define UART_IIR         2   // interrupt identification (read)
#define UART_LCR         3   // line control
#define UART_MCR         4   // modem control
#define UART_LSR         5   // line status
#define UART_SCRATCH     7

#define IER_RECEIVE_DATA 0x01
#define FCR_ENABLE_FIFO  0x01
#define FCR_CLEAR_RX     0x02
#define FCR_CLEAR_TX     0x04
#define FCR_TRIGGER_1    0x00
#define LCR_8N1          0x03
#define LCR_DLAB         0x80
#define MCR_DTR          0x01
#define MCR_RTS          0x02
#define MCR_OUT2         0x08  // gates the UART's interrupt line on PCs
#define MCR_LOOPBACK     0x10
#define LSR_DATA_READY   0x01
#define LSR_THR_EMPTY    0x20
#define IIR_FIFO_ENABLED 0xC0  // both bits: a 16550A whose FIFOs work
#define UART_FIFO_SIZE   16    // the 16550A's transmit FIFO

#define UART_CLOCK_DIVISOR_115200 1
#define TRANSMIT_SPIN_LIMIT 100000

static BOOLEAN HalpSerialUp;
// Bytes that may be written before THRE must be read again: 16 with a
// working FIFO (THRE then means the whole FIFO is empty), else 1.
static ULONG HalpSerialBurst = 1;
static ULONG HalpSerialRoom;

static inline UCHAR HalpUartRead(ULONG reg)
{
    return READ_PORT_UCHAR((USHORT)(COM1_BASE + reg));
}

static inline void HalpUartWrite(ULONG reg, UCHAR value)
{
    WRITE_PORT_UCHAR((USHORT)(COM1_BASE + reg), value);
}

// Many PCs have no COM1: writes go nowhere and reads return 0xFF. The
// scratch register and a loopback echo tell a real UART from nothing.
static BOOLEAN HalpUartPresent(void)
{
    BOOLEAN present;

    HalpUartWrite(UART_SCRATCH, 0x5A);
    if (HalpUartRead(UART_SCRATCH) != 0x5A)
        return FALSE;
    HalpUartWrite(UART_MCR, MCR_LOOPBACK);
    HalpUartWrite(UART_DATA, 0xAE);
    for (ULONG spin = 0; spin < 1000 && !(HalpUartRead(UART_LSR) & LSR_DATA_READY); spin++)
        KeStallIoDelay();
    present = HalpUartRead(UART_DATA) == 0xAE;
    return present;
}

BOOLEAN HalpSerialInitialize(void)
{
    HalpUartWrite(UART_IER, 0);
    HalpUartWrite(UART_LCR, LCR_DLAB);
    HalpUartWrite(UART_DLL, UART_CLOCK_DIVISOR_115200 & 0xFF);
    HalpUartWrite(UART_DLM, UART_CLOCK_DIVISOR_115200 >> 8);
    HalpUartWrite(UART_LCR, LCR_8N1);
    HalpUartWrite(UART_FCR, FCR_ENABLE_FIFO | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_TRIGGER_1);
    if (!HalpUartPresent())
        return FALSE;
    HalpUartWrite(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    // An 8250 or a 16550 with a broken FIFO leaves IIR's top bits clear.
    HalpSerialBurst = (HalpUartRead(UART_IIR) & IIR_FIFO_ENABLED) == IIR_FIFO_ENABLED
                          ? UART_FIFO_SIZE : 1;
    HalpSerialRoom = 0;
    while (HalpUartRead(UART_LSR) & LSR_DATA_READY)
        (void)HalpUartRead(UART_DATA);
    HalpUartWrite(UART_IER, IER_RECEIVE_DATA);
    HalpSerialUp = TRUE;
    return TRUE;
}

BOOLEAN HalSerialPresent(void)
{
    return HalpSerialUp;
}

// One LSR read per FIFO's worth of bytes: THRE set means the transmit FIFO
// is empty, so 16 bytes fit. Half the port accesses of a read per byte
// (each one a trap to the hypervisor, or a helper call under QEMU's TCG),
// which is what a listing of 150,000 lines costs (exercise 002's !vm).
static void HalpSerialPutByte(UCHAR byte)
{
    if (!HalpSerialRoom) {
        for (ULONG spin = 0; spin < TRANSMIT_SPIN_LIMIT; spin++) {
            if (HalpUartRead(UART_LSR) & LSR_THR_EMPTY)
                break;
            _mm_pause();
        }
        HalpSerialRoom = HalpSerialBurst;
    }
    HalpSerialRoom--;
    HalpUartWrite(UART_DATA, byte);
}

void HalpSerialWrite(const char *text, size_t length)
{
    if (!HalpSerialUp)
        return;
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '\n')
            HalpSerialPutByte('\r');
        HalpSerialPutByte((UCHAR)text[i]);
    }
}

void HalpSerialPoll(void)
{
    if (!HalpSerialUp)
        return;
    while (HalpUartRead(UART_LSR) & LSR_DATA_READY)
        HalpConsoleInputByte(HalpUartRead(UART_DATA));
}

void HalpSerialInterrupt(void)
{
    HalpSerialPoll();
}
