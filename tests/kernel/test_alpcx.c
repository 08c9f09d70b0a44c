// ALPC's extensions (kernel/alpc/alpcx.h) from user mode, each list of
// talpcx's tests under the leak check: message attributes, impersonation,
// port sections and views (with the death of either side holding a view).

#include "tests/kernel/ktuser.h"

#define KT_ALPCX_LIMIT_MS 60000

KTEST(AlpcUserMessageAttributes)
{
    if (!KtpUserTestsPassEx("talpcx", "talpcx attrs", KT_ALPCX_LIMIT_MS, __FILE__, __LINE__))
        return;
}

KTEST(AlpcUserImpersonation)
{
    if (!KtpUserTestsPassEx("talpcx", "talpcx security", KT_ALPCX_LIMIT_MS, __FILE__,
                            __LINE__))
        return;
}

KTEST(AlpcUserSectionsAndViews)
{
    if (!KtpUserTestsPassEx("talpcx", "talpcx views", KT_ALPCX_LIMIT_MS, __FILE__, __LINE__))
        return;
}
