// The executive's object types, made at boot once the object manager is up
// (they are named in \ObjectTypes), as NT's ExInitSystem does.

#include "ex/ex.h"

void ExInitSystem(void)
{
    ExpInitializeEventImplementation();
    ExpInitializeSemaphoreImplementation();
    ExpInitializeMutantImplementation();
    ExpInitializeTimerImplementation();
}
