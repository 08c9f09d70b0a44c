// !sd: a security descriptor as WinDbg's !sd shows it (revision, control
// bits by name, owner, group, then the DACL and SACL ACE by ACE). An
// object's descriptor is found with !object (its SecurityDescriptor line).
// The descriptor may be self-relative (what objects carry) or absolute.
// Every read is fault-safe and every count bounded, so a wrong address gives
// one line saying why, never a fault.

#include "kd/kd.h"
#include "se/se.h"

// ACEs shown from one ACL at most (an ACL of 64 KB holds no more than this).
#define KD_MAX_ACES 4096

static const struct {
    USHORT Bit;
    const char *Name;
} KdpControlNames[] = {
    {SE_OWNER_DEFAULTED, "SE_OWNER_DEFAULTED"},
    {SE_GROUP_DEFAULTED, "SE_GROUP_DEFAULTED"},
    {SE_DACL_PRESENT, "SE_DACL_PRESENT"},
    {SE_DACL_DEFAULTED, "SE_DACL_DEFAULTED"},
    {SE_SACL_PRESENT, "SE_SACL_PRESENT"},
    {SE_SACL_DEFAULTED, "SE_SACL_DEFAULTED"},
    {SE_DACL_AUTO_INHERIT_REQ, "SE_DACL_AUTO_INHERIT_REQ"},
    {SE_SACL_AUTO_INHERIT_REQ, "SE_SACL_AUTO_INHERIT_REQ"},
    {SE_DACL_AUTO_INHERITED, "SE_DACL_AUTO_INHERITED"},
    {SE_SACL_AUTO_INHERITED, "SE_SACL_AUTO_INHERITED"},
    {SE_DACL_PROTECTED, "SE_DACL_PROTECTED"},
    {SE_SACL_PROTECTED, "SE_SACL_PROTECTED"},
    {SE_RM_CONTROL_VALID, "SE_RM_CONTROL_VALID"},
    {SE_SELF_RELATIVE, "SE_SELF_RELATIVE"},
};

// With flags 1, the names of the SIDs Sleuth's tokens hold, as WinDbg
// prints them after the SID.
static const struct {
    const char *Sid;
    const char *Name;
} KdpWellKnownSids[] = {
    {"S-1-5-18", "Well Known Group: NT AUTHORITY\\SYSTEM"},
    {"S-1-5-32-544", "Alias: BUILTIN\\Administrators"},
    {"S-1-5-32-545", "Alias: BUILTIN\\Users"},
    {"S-1-1-0", "Well Known Group: localhost\\Everyone"},
    {"S-1-5-11", "Well Known Group: NT AUTHORITY\\Authenticated Users"},
    {"S-1-5-21-1-2-3-1000", "User: SLEUTH\\student"},
};

static void KdpPrintSid(const char *prefix, ULONG64 address, BOOLEAN names)
{
    char text[96];

    KdpFormatSidAt(address, text, sizeof(text));
    for (ULONG i = 0; names && i < ARRAYSIZE(KdpWellKnownSids); i++) {
        if (!strcmp(text, KdpWellKnownSids[i].Sid)) {
            KdpPrint("%s%s (%s)\n", prefix, text, KdpWellKnownSids[i].Name);
            return;
        }
    }
    KdpPrint("%s%s\n", prefix, text);
}

static const char *KdpAceTypeName(UCHAR type)
{
    switch (type) {
    case ACCESS_ALLOWED_ACE_TYPE:
        return "ACCESS_ALLOWED_ACE_TYPE";
    case ACCESS_DENIED_ACE_TYPE:
        return "ACCESS_DENIED_ACE_TYPE";
    case SYSTEM_AUDIT_ACE_TYPE:
        return "SYSTEM_AUDIT_ACE_TYPE";
    default:
        return "(unknown ACE type)";
    }
}

// One ACL, every line prefixed with `label` ("->Dacl    : ").
static void KdpPrintAcl(const char *label, ULONG64 address, BOOLEAN names)
{
    ACL acl;
    ULONG offset = sizeof(ACL);

    KdpPrint("%s\n", label);
    if (!KdpReadMemory(address, &acl, sizeof(acl))) {
        KdpPrint("%s(the ACL at %016llx cannot be read)\n", label, (unsigned long long)address);
        return;
    }
    KdpPrint("%s->AclRevision: 0x%x\n", label, acl.AclRevision);
    KdpPrint("%s->Sbz1       : 0x%x\n", label, acl.Sbz1);
    KdpPrint("%s->AclSize    : 0x%x\n", label, acl.AclSize);
    KdpPrint("%s->AceCount   : 0x%x\n", label, acl.AceCount);
    KdpPrint("%s->Sbz2       : 0x%x\n", label, acl.Sbz2);
    for (ULONG i = 0; i < acl.AceCount && i < KD_MAX_ACES; i++) {
        ACCESS_ALLOWED_ACE ace;
        char prefix[64];

        if (offset + sizeof(ACE_HEADER) > acl.AclSize ||
            !KdpReadMemory(address + offset, &ace, sizeof(ace))) {
            KdpPrint("%s->Ace[%u]: (outside the ACL or unreadable)\n", label, i);
            return;
        }
        RtlStringPrintf(prefix, sizeof(prefix), "%s->Ace[%u]: ", label, i);
        KdpPrint("%s->AceType: %s\n", prefix, KdpAceTypeName(ace.Header.AceType));
        KdpPrint("%s->AceFlags: 0x%x\n", prefix, ace.Header.AceFlags);
        KdpPrint("%s->AceSize: 0x%x\n", prefix, ace.Header.AceSize);
        KdpPrint("%s->Mask : 0x%08x\n", prefix, ace.Mask);
        if (ace.Header.AceType <= SYSTEM_AUDIT_ACE_TYPE) {
            RtlStringPrintf(prefix, sizeof(prefix), "%s->Ace[%u]: ->SID: ", label, i);
            KdpPrintSid(prefix, address + offset + FIELD_OFFSET(ACCESS_ALLOWED_ACE, SidStart),
                        names);
        }
        KdpPrint("\n");
        if (ace.Header.AceSize < sizeof(ACE_HEADER))
            return;
        offset += ace.Header.AceSize;
    }
}

// Where the parts of the descriptor at `address` are, in either form.
static BOOLEAN KdpLocateParts(ULONG64 address, const SECURITY_DESCRIPTOR_RELATIVE *header,
                              ULONG64 parts[4])
{
    SECURITY_DESCRIPTOR absolute;

    if (header->Control & SE_SELF_RELATIVE) {
        const ULONG offsets[4] = {header->Owner, header->Group, header->Dacl, header->Sacl};

        for (int i = 0; i < 4; i++)
            parts[i] = offsets[i] ? address + offsets[i] : 0;
        return TRUE;
    }
    if (!KdpReadMemory(address, &absolute, sizeof(absolute)))
        return FALSE;
    parts[0] = (ULONG64)(ULONG_PTR)absolute.Owner;
    parts[1] = (ULONG64)(ULONG_PTR)absolute.Group;
    parts[2] = (ULONG64)(ULONG_PTR)absolute.Dacl;
    parts[3] = (ULONG64)(ULONG_PTR)absolute.Sacl;
    return TRUE;
}

KD_COMMAND_RESULT KdpSecurityDescriptor(int argc, char **argv)
{
    SECURITY_DESCRIPTOR_RELATIVE header;
    ULONG64 address, flags = 0, parts[4];

    if (argc < 2 || argc > 3) {
        KdpPrint("Usage: !sd address [1]\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address) || (argc == 3 && !KdpGetValue(argv[2], &flags)))
        return KdCommandContinue;
    if (!KdpReadMemory(address, &header, sizeof(header)) ||
        !KdpLocateParts(address, &header, parts)) {
        KdpPrint("%016llx is not a security descriptor: its memory cannot be read\n",
                 (unsigned long long)address);
        return KdCommandContinue;
    }
    KdpPrint("->Revision: 0x%x\n", header.Revision);
    KdpPrint("->Sbz1    : 0x%x\n", header.Sbz1);
    KdpPrint("->Control : 0x%x\n", header.Control);
    for (ULONG i = 0; i < ARRAYSIZE(KdpControlNames); i++) {
        if (header.Control & KdpControlNames[i].Bit)
            KdpPrint("            %s\n", KdpControlNames[i].Name);
    }
    if (parts[0])
        KdpPrintSid("->Owner   : ", parts[0], flags & 1);
    else
        KdpPrint("->Owner   :  is NULL\n");
    if (parts[1])
        KdpPrintSid("->Group   : ", parts[1], flags & 1);
    else
        KdpPrint("->Group   :  is NULL\n");
    if ((header.Control & SE_DACL_PRESENT) && parts[2])
        KdpPrintAcl("->Dacl    : ", parts[2], flags & 1);
    else
        KdpPrint("->Dacl    :  is NULL\n");
    if ((header.Control & SE_SACL_PRESENT) && parts[3])
        KdpPrintAcl("->Sacl    : ", parts[3], flags & 1);
    else
        KdpPrint("->Sacl    :  is NULL\n");
    return KdCommandContinue;
}
