// Access masks: turning what a caller asks for into what a handle grants.
// There are no security descriptors yet, so every right the type knows is
// allowed; what remains of NT's rules is the mapping of the generic rights
// and the type's valid mask.

#include "ob/ob.h"

#define GENERIC_RIGHTS (GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL)

ACCESS_MASK ObMapDesiredAccess(OBJECT_TYPE *type, ACCESS_MASK desiredAccess)
{
    const GENERIC_MAPPING *mapping = &type->TypeInfo.GenericMapping;
    ACCESS_MASK valid = type->TypeInfo.ValidAccessMask;
    ACCESS_MASK access = desiredAccess & ~(GENERIC_RIGHTS | MAXIMUM_ALLOWED);

    if (desiredAccess & GENERIC_READ)
        access |= mapping->GenericRead;
    if (desiredAccess & GENERIC_WRITE)
        access |= mapping->GenericWrite;
    if (desiredAccess & GENERIC_EXECUTE)
        access |= mapping->GenericExecute;
    if (desiredAccess & GENERIC_ALL)
        access |= mapping->GenericAll;
    // With no security descriptor to consult, the most that can be allowed
    // is everything the type defines.
    if (desiredAccess & MAXIMUM_ALLOWED)
        access |= valid ? valid : mapping->GenericAll;
    return valid ? access & valid : access;
}
