// The CMOS real-time clock, read once at boot to give the system time a
// starting point (NT keeps time in 100-ns units since 1 January 1601).

#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define CMOS_ADDRESS 0x70
#define CMOS_DATA    0x71
#define RTC_SECONDS  0x00
#define RTC_MINUTES  0x02
#define RTC_HOURS    0x04
#define RTC_DAY      0x07
#define RTC_MONTH    0x08
#define RTC_YEAR     0x09
#define RTC_STATUS_A 0x0A
#define RTC_STATUS_B 0x0B
#define RTC_UPDATE_IN_PROGRESS 0x80
#define RTC_BINARY   0x04
#define RTC_24_HOUR  0x02
#define RTC_PM       0x80
#define NMI_DISABLE  0x80           // keep NMIs masked while selecting a register

#define SECONDS_1601_TO_1970 11644473600ULL
#define HUNDRED_NS_PER_SECOND 10000000ULL

static UCHAR HalpCmosRead(UCHAR reg)
{
    WRITE_PORT_UCHAR(CMOS_ADDRESS, reg | NMI_DISABLE);
    return READ_PORT_UCHAR(CMOS_DATA);
}

static ULONG HalpFromBcd(UCHAR value, BOOLEAN binary)
{
    return binary ? value : (value & 0x0F) + (value >> 4) * 10;
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
static LONG64 HalpDaysFromCivil(LONG64 year, ULONG month, ULONG day)
{
    LONG64 era, yoe, doy, doe;

    year -= month <= 2;
    era = (year >= 0 ? year : year - 399) / 400;
    yoe = year - era * 400;
    doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

LONG64 HalQueryRealTimeClock(void)
{
    UCHAR second, minute, hour, day, month, year, statusB;
    BOOLEAN binary;
    ULONG hour24;
    LONG64 days;

    for (ULONG spin = 0; spin < 100000 && (HalpCmosRead(RTC_STATUS_A) & RTC_UPDATE_IN_PROGRESS);
         spin++)
        ;
    second = HalpCmosRead(RTC_SECONDS);
    minute = HalpCmosRead(RTC_MINUTES);
    hour = HalpCmosRead(RTC_HOURS);
    day = HalpCmosRead(RTC_DAY);
    month = HalpCmosRead(RTC_MONTH);
    year = HalpCmosRead(RTC_YEAR);
    statusB = HalpCmosRead(RTC_STATUS_B);
    binary = (statusB & RTC_BINARY) != 0;

    hour24 = HalpFromBcd(hour & ~RTC_PM, binary);
    if (!(statusB & RTC_24_HOUR)) {
        hour24 %= 12;
        if (hour & RTC_PM)
            hour24 += 12;
    }
    days = HalpDaysFromCivil(2000 + HalpFromBcd(year, binary), HalpFromBcd(month, binary),
                             HalpFromBcd(day, binary));
    return (LONG64)((ULONG64)(days * 86400 + hour24 * 3600 + HalpFromBcd(minute, binary) * 60 +
                              HalpFromBcd(second, binary)) +
                    SECONDS_1601_TO_1970) * (LONG64)HUNDRED_NS_PER_SECOND;
}
