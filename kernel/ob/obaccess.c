// Access masks: turning what a caller asks for into what a handle grants
// when no security descriptor is consulted (a new object's creator, a
// kernel-mode caller, an object without a descriptor): every right the type
// knows may be granted; the generic rights are mapped and the type's valid
// mask applies. The check against a descriptor is in obsecure.c.

#include "ob/ob.h"
#include "se/se.h"

ACCESS_MASK ObMapDesiredAccess(OBJECT_TYPE *type, ACCESS_MASK desiredAccess)
{
    const GENERIC_MAPPING *mapping = &type->TypeInfo.GenericMapping;
    ACCESS_MASK valid = type->TypeInfo.ValidAccessMask;
    ACCESS_MASK access = desiredAccess & ~MAXIMUM_ALLOWED;

    RtlMapGenericMask(&access, mapping);
    // With no security descriptor to consult, the most that can be allowed
    // is everything the type defines.
    if (desiredAccess & MAXIMUM_ALLOWED)
        access |= valid ? valid : mapping->GenericAll;
    return valid ? access & valid : access;
}
