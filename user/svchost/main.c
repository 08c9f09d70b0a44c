// svchost.exe -k GROUP [-s SERVICE [ARGUMENT]]: a service host. As NT's,
// it is started for a group of services (-k, which only names it here);
// -s says which service it runs, and a host without one has nothing to do
// and idles:
//
//   -s FileSync, -s Backup ACCOUNT, -s Update   exercise 000 (lsasvc.c)
//   -s TermService, -s gpsvc                    exercise 003 (termsrv.c)

#include "user/include/logon.h"
#include "user/svchost/svchost.h"

int main(void)
{
    char option[8], service[32], argument[64];

    for (ULONG i = 1; LogonArgument(i, option, sizeof(option)); i += 2) {
        if (strcmp(option, "-s") || !LogonArgument(i + 1, service, sizeof(service)))
            continue;
        if (!strcmp(service, "TermService"))
            return TermSrvMain();
        if (!strcmp(service, "gpsvc")) {
            GpSvcMain();
            break;
        }
        if (!LogonArgument(i + 2, argument, sizeof(argument)))
            argument[0] = '\0';
        return SvcRunLsaService(service, argument);
    }
    LogonIdle();
}
