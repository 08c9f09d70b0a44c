// talpcx's entry: "talpcx attrs", "talpcx security" and "talpcx views" run
// one list of tests each (attrs.c, security.c, views.c), each under its own
// leak check (tests/kernel/test_alpcx.c); "talpcx" alone runs all three.
// "talpcx child ROLE" is the program as its own child (views.c).

#include "tests/user/talpcx/talpcx.h"

int main(void)
{
    char line[64];
    BOOLEAN all;
    int failed = 0;

    UtCommandLineText(line, sizeof(line));
    if (!strncmp(line, "talpcx child ", 13))
        return TxViewChild(line + 13);
    all = !strcmp(line, "talpcx");
    if (all || !strcmp(line, "talpcx attrs"))
        failed += UtRunTests("talpcx", TxAttributeTestList, TxAttributeTestCount);
    if (all || !strcmp(line, "talpcx security"))
        failed += UtRunTests("talpcx", TxSecurityTestList, TxSecurityTestCount);
    if (all || !strcmp(line, "talpcx views"))
        failed += UtRunTests("talpcx", TxViewTestList, TxViewTestCount);
    return failed;
}
