// The structured arguments: each is built well-formed in a local copy,
// then maybe damaged (a length that lies, a bad inner pointer, reserved
// bits), then put where FzPlace says: in scratch, across the edge of a hole
// so only its first bytes exist, in a read-only page, or nowhere at all.

#include "tests/user/tfuzz/fuzz.h"

const WCHAR *const FzLeafNames[] = {u"fz0", u"fz1", u"fz2", u"fzd0", u"fzd1", u"fzl0"};
const ULONG FzLeafNameCount = sizeof(FzLeafNames) / sizeof(FzLeafNames[0]);

static const WCHAR *const FzPrefixes[] = {
    u"\\BaseNamedObjects\\", u"\\", u"\\fzd0\\", u"\\BaseNamedObjects\\fzd0\\",
    u"\\fzd0\\fzd1\\", u"\\fzl0\\", u"",
};

// Where a copy of `size` bytes of `data` ends up: the pointer handed to the
// kernel (only the first bytes may be there).
void *FzEmitCopy(FZ_WORKER *worker, const void *data, ULONG size)
{
    ULONG room;
    void *at = FzPlace(worker, size, &room);

    if (at && room)
        memcpy(at, data, room < size ? room : size);
    return at;
}

static ULONG FzWideLength(const WCHAR *text)
{
    ULONG length = 0;

    while (text[length])
        length++;
    return length;
}

void *FzUnicodeString(FZ_WORKER *worker, const WCHAR *text)
{
    FZ_RNG *rng = &worker->Rng;
    ULONG count = FzWideLength(text);
    UNICODE_STRING string;
    WCHAR *buffer;

    string.Length = (USHORT)(count * sizeof(WCHAR));
    string.MaximumLength = (USHORT)(string.Length + sizeof(WCHAR));
    buffer = FzScratch(worker, string.MaximumLength + 16);
    if (buffer)
        memcpy(buffer, text, string.Length);
    string.Buffer = buffer;
    switch (FzBelow(rng, 24)) {
    case 0: string.Length |= 1; break;                                  // odd
    case 1: string.Length = string.MaximumLength + 2; break;            // longer than room
    case 2: string.Length = 0xFFFE; break;
    case 3: string.Buffer = FzBadPointer(worker); break;
    case 4: if (FZ_AVOID(1)) break; {
        // The characters run into the hole.
        ULONG room;
        WCHAR *edge = FzPlace(worker, string.Length ? string.Length : 2, &room);

        if (edge && room)
            memcpy(edge, text, room < string.Length ? room : string.Length);
        string.Buffer = edge;
        break;
    }
    case 5: string.Buffer = (WCHAR *)((UCHAR *)buffer + 1); break;     // unaligned
    case 6: string.MaximumLength = 0; break;
    default: break;
    }
    return FzEmitCopy(worker, &string, sizeof(string));
}

void *FzUnicodeName(FZ_WORKER *worker)
{
    static const WCHAR *const Odd[] = {
        u"", u"\\", u"\\\\", u"fz0\\", u"\\BaseNamedObjects", u"\\ObjectTypes\\Event",
        u"\\fzl0", u"\\fzd0\\..\\fz0", u"\\BaseNamedObjects\\fz0\\x", u"\\fzp0", u"\\fzp1",
        u"\\fza0", u"\\fza1",
        u"\\SmApiPort", u"\\LsaAuthenticationPort", u"\\ObjectTypes",
    };
    FZ_RNG *rng = &worker->Rng;
    WCHAR text[300];
    ULONG length = 0, prefix;

    worker->SimpleName = FALSE;
    if (FzChance(rng, 15))
        return FzUnicodeString(worker, Odd[FzBelow(rng, sizeof(Odd) / sizeof(Odd[0]))]);
    if (FzChance(rng, 3)) {
        // Long: past the lengths names usually have.
        ULONG count = 1 + FzBelow(rng, 299);

        for (ULONG i = 0; i < count; i++)
            text[i] = i == 0 ? u'\\' : i == 1 ? u'f' : i == 2 ? u'z' : (WCHAR)(u'a' + i % 26);
        text[count] = 0;
        return FzUnicodeString(worker, text);
    }
    worker->SimpleName = FALSE;
    prefix = FzBelow(rng, sizeof(FzPrefixes) / sizeof(FzPrefixes[0]));
    for (const WCHAR *p = FzPrefixes[prefix]; *p; p++)
        text[length++] = *p;
    worker->SimpleName = prefix <= 1;
    if (FzChance(rng, 25)) {
        text[length++] = u'f';
        text[length++] = u'z';
        text[length++] = u'p';
        text[length++] = (WCHAR)(u'0' + FzBelow(rng, 2));
    } else {
        for (const WCHAR *p = FzLeafNames[FzBelow(rng, FzLeafNameCount)]; *p; p++)
            text[length++] = *p;
    }
    text[length] = 0;
    return FzUnicodeString(worker, text);
}

void *FzSidValue(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    ULONG bytes[16] = {0};
    SID *sid = (SID *)bytes;

    sid->Revision = 1;
    sid->SubAuthorityCount = 1;
    sid->IdentifierAuthority.Value[5] = FzChance(rng, 50) ? 5 : 1;
    sid->SubAuthority[0] = FzChance(rng, 50) ? 18 : 0;
    if (FzChance(rng, 10))
        sid->SubAuthorityCount = (UCHAR)FzBelow(rng, 256);     // lies about its length
    if (FzChance(rng, 5))
        sid->Revision = (UCHAR)FzNext(rng);
    return FzEmitCopy(worker, bytes, sizeof(bytes));
}

void *FzSecurityDescriptor(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    UCHAR aclBytes[64];
    ACL *acl = (ACL *)aclBytes;
    SID *everyone = FzScratch(worker, 16);
    SECURITY_DESCRIPTOR sd;
    ACL *placedAcl;

    if (!everyone)
        return NULL;
    everyone->Revision = 1;
    everyone->SubAuthorityCount = 1;
    everyone->IdentifierAuthority.Value[5] = 1;
    RtlCreateAcl(acl, sizeof(aclBytes), ACL_REVISION);
    RtlAddAccessAllowedAce(acl, ACL_REVISION, (ACCESS_MASK)FzNext(rng), everyone);
    if (FzChance(rng, 10))
        acl->AclSize = (USHORT)FzNext(rng);
    if (FzChance(rng, 10))
        acl->AceCount = (USHORT)FzBelow(rng, 40);
    placedAcl = FzEmitCopy(worker, acl, sizeof(aclBytes));

    RtlCreateSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    if (FzChance(rng, 70))
        RtlSetDaclSecurityDescriptor(&sd, TRUE, FzChance(rng, 15) ? NULL : placedAcl, FALSE);
    if (FzChance(rng, 30))
        sd.Owner = FzChance(rng, 70) ? everyone : FzSidValue(worker);
    if (FzChance(rng, 20))
        sd.Group = FzSidValue(worker);
    if (FzChance(rng, 8))
        sd.Revision = (UCHAR)FzNext(rng);
    if (FzChance(rng, 8))
        sd.Control = (USHORT)FzNext(rng);
    if (FzChance(rng, 15)) {
        // Self-relative (made from readable parts), with offsets that may
        // then point anywhere.
        UCHAR *relative = FzScratch(worker, 256);
        SECURITY_DESCRIPTOR clean;
        ULONG length = 256;

        RtlCreateSecurityDescriptor(&clean, SECURITY_DESCRIPTOR_REVISION);
        RtlSetDaclSecurityDescriptor(&clean, TRUE, acl->AclSize <= sizeof(aclBytes) ? acl : NULL,
                                     FALSE);
        clean.Owner = everyone;
        if (relative &&
            NT_SUCCESS(RtlAbsoluteToSelfRelativeSD(&clean,
                                                   (SECURITY_DESCRIPTOR_RELATIVE *)relative,
                                                   &length))) {
            SECURITY_DESCRIPTOR_RELATIVE *header = (SECURITY_DESCRIPTOR_RELATIVE *)relative;

            if (FzChance(rng, 30))
                header->Dacl = (ULONG)FzLength(worker);
            if (FzChance(rng, 20))
                header->Owner = (ULONG)FzLength(worker);
            return FzEmitCopy(worker, relative, length);
        }
    }
    return FzEmitCopy(worker, &sd, sizeof(sd));
}

void *FzQualityOfService(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), (SECURITY_IMPERSONATION_LEVEL)FzBelow(rng, 5),
                                       (BOOLEAN)FzBelow(rng, 3), (BOOLEAN)FzBelow(rng, 2)};

    if (FzChance(rng, 10))
        qos.Length = (ULONG)FzLength(worker);
    return FzEmitCopy(worker, &qos, sizeof(qos));
}

void *FzObjectAttributes(FZ_WORKER *worker)
{
    static const ULONG Bits[] = {OBJ_CASE_INSENSITIVE, OBJ_OPENIF, OBJ_INHERIT, OBJ_EXCLUSIVE,
                                 OBJ_OPENLINK, OBJ_KERNEL_HANDLE, OBJ_PERMANENT};
    FZ_RNG *rng = &worker->Rng;
    OBJECT_ATTRIBUTES attributes;

    if (FzChance(rng, 5))
        return FzBadPointer(worker);
    attributes.Length = sizeof(attributes);
    attributes.RootDirectory = NULL;
    attributes.ObjectName = FzChance(rng, 25) ? NULL : FzUnicodeName(worker);
    attributes.Attributes = 0;
    attributes.SecurityDescriptor = NULL;
    attributes.SecurityQualityOfService = NULL;
    for (ULONG i = 0; i < sizeof(Bits) / sizeof(Bits[0]); i++) {
        if (FzChance(rng, Bits[i] == OBJ_PERMANENT ? 3 : 20))
            attributes.Attributes |= Bits[i];
    }
    if (FzChance(rng, 5))
        attributes.Attributes |= (ULONG)FzNext(rng);
    if (FzChance(rng, 5))
        attributes.Length = (ULONG)FzLength(worker);
    if (FzChance(rng, 25))
        attributes.RootDirectory = FzPickHandle(worker, FzTypeDirectory);
    if (FzChance(rng, 20))
        attributes.SecurityDescriptor = FzSecurityDescriptor(worker);
    if (FzChance(rng, 10))
        attributes.SecurityQualityOfService = FzQualityOfService(worker);
    // Permanent objects only where the clean-up finds them again: right
    // under \ or \BaseNamedObjects, which never go away. (One inside a
    // directory whose own name went is out of reach for good.) Never a
    // port: there is no NtOpenPort to take its permanence away.
    if (!worker->SimpleName || attributes.RootDirectory ||
        FzServices[worker->Service].Number == SERVICE_NtCreatePort ||
        FzServices[worker->Service].Number == SERVICE_NtCreateWaitablePort ||
        FzServices[worker->Service].Number == SERVICE_NtAlpcCreatePort)
        attributes.Attributes &= ~(ULONG)OBJ_PERMANENT;
    // And a permanent one with the default descriptor, which lets the
    // clean-up open it for DELETE.
    if (attributes.Attributes & OBJ_PERMANENT)
        attributes.SecurityDescriptor = NULL;
    // Item 5: a descriptor in NtOpenProcess's attributes was never freed.
    if (FZ_AVOID(5) && (FzServices[worker->Service].Number == SERVICE_NtOpenProcess ||
                        FzServices[worker->Service].Number == SERVICE_NtOpenThread))
        attributes.SecurityDescriptor = NULL;
    // Item 1: refused attributes kept the caller's descriptor pointer.
    if (FZ_AVOID(1) && (attributes.Length != sizeof(attributes) ||
                        (attributes.Attributes & ~0x3F2u)))
        attributes.SecurityDescriptor = NULL;
    return FzEmitCopy(worker, &attributes, sizeof(attributes));
}

// What a worker received last: replies and request-data calls name it
// (ALPC's replies also need the request's CallbackId).
static volatile ULONG64 FzLastReceived[8];
static volatile ULONG FzLastCallback[8];

void FzNoteReceived(const PORT_MESSAGE *message);
void FzNoteReceived(const PORT_MESSAGE *message)
{
    static volatile ULONG next;
    ULONG at = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % 8;

    FzLastReceived[at] = ((ULONG64)(ULONG_PTR)message->ClientId.UniqueThread << 32) |
                         message->MessageId;
    FzLastCallback[at] = message->CallbackId;
}

void *FzPortMessage(FZ_WORKER *worker, BOOLEAN output)
{
    FZ_RNG *rng = &worker->Rng;
    struct {
        PORT_MESSAGE h;
        UCHAR Data[0x290];
    } message;
    ULONG data = FzChance(rng, 70) ? FzBelow(rng, 0x100) & ~3u : (ULONG)FzLength(worker);

    if (output) {
        ULONG room;

        return FzPlace(worker, sizeof(message), &room);
    }
    memset(&message, 0, sizeof(PORT_MESSAGE) + 64);
    message.h.u1.s1.DataLength = (CSHORT)data;
    message.h.u1.s1.TotalLength = (CSHORT)(data + sizeof(PORT_MESSAGE));
    if (FzChance(rng, 10))
        message.h.u1.s1.TotalLength = (CSHORT)FzNext(rng);
    if (FzChance(rng, 15))
        message.h.u2.s2.Type = (CSHORT)FzBelow(rng, 14);
    if (FzChance(rng, 10))
        message.h.u2.s2.DataInfoOffset = (CSHORT)FzBelow(rng, 0x300);
    if (FzChance(rng, 50)) {
        ULONG at = FzBelow(rng, 8);
        ULONG64 last = FzLastReceived[at];

        message.h.ClientId.UniqueThread = (HANDLE)(last >> 32);
        message.h.MessageId = (ULONG)last;
        if (FzChance(rng, 50))
            message.h.CallbackId = FzLastCallback[at];
    } else if (FzChance(rng, 50)) {
        message.h.MessageId = FzBelow(rng, 64);
    }
    if (FzChance(rng, 20))
        message.h.ClientViewSize = FzLength(worker);
    if (data > 0x290)
        data = 0x290;
    for (ULONG i = 0; i < data && i < 64; i++)
        message.Data[i] = (UCHAR)FzNext(rng);
    return FzEmitCopy(worker, &message, (ULONG)(sizeof(PORT_MESSAGE) + data));
}

void *FzClientId(FZ_WORKER *worker)
{
    extern volatile ULONG64 FzRecentChildPid;
    FZ_RNG *rng = &worker->Rng;
    CLIENT_ID cid = {0};

    switch (FzBelow(rng, 5)) {
    case 0: cid.UniqueProcess = FzSelfPid; break;
    case 1: cid.UniqueProcess = (HANDLE)FzRecentChildPid; break;
    case 2: cid.UniqueProcess = (HANDLE)(ULONG64)(FzBelow(rng, 64) * 4); break;
    case 3: break;
    default: cid.UniqueProcess = (HANDLE)FzNext(rng); break;
    }
    switch (FzBelow(rng, 5)) {
    case 0: cid.UniqueThread = FzWorkers[FzBelow(rng, FzWorkerCount)].ThreadId; break;
    case 1: cid.UniqueThread = (HANDLE)(ULONG64)(FzBelow(rng, 128) * 4); break;
    case 2: cid.UniqueThread = (HANDLE)FzNext(rng); break;
    default: break;
    }
    return FzEmitCopy(worker, &cid, sizeof(cid));
}

void *FzTimeoutValue(FZ_WORKER *worker, BOOLEAN dueTime)
{
    FZ_RNG *rng = &worker->Rng;
    LARGE_INTEGER value;
    void *at;

    switch (FzBelow(rng, 8)) {
    case 0: value.QuadPart = 0; break;
    case 1: value.QuadPart = 1; break;                              // absolute, long past
    case 2: {                                                       // absolute, just past or soon
        NtQuerySystemTime(&value);
        value.QuadPart += (LONGLONG)FzBelow(rng, 40000) - 20000;
        break;
    }
    case 3: value.QuadPart = -1; break;
    default: value.QuadPart = -(LONGLONG)(1 + FzBelow(rng, dueTime ? 300000 : 30000)); break;
    }
    if (FZ_AVOID(3) && dueTime)
        value.QuadPart = -864000000000LL;   // a day: never due in a campaign
    at = FzEmitCopy(worker, &value, sizeof(value));
    // Never NULL: a NULL timeout is an infinite wait.
    return at ? at : (void *)0x10;
}

void *FzLargeInteger(FZ_WORKER *worker)
{
    LARGE_INTEGER value;

    value.QuadPart = (LONGLONG)FzLength(worker);
    if (FzChance(&worker->Rng, 60))
        value.QuadPart &= 0x3FFFF;
    return FzEmitCopy(worker, &value, sizeof(value));
}

void *FzPortViewValue(FZ_WORKER *worker, BOOLEAN remote)
{
    FZ_RNG *rng = &worker->Rng;

    if (remote) {
        REMOTE_PORT_VIEW view = {sizeof(view), FzLength(worker), NULL};

        if (FzChance(rng, 10))
            view.Length = (ULONG)FzLength(worker);
        return FzEmitCopy(worker, &view, sizeof(view));
    } else {
        PORT_VIEW view = {sizeof(view), FzPickHandle(worker, FzTypeSection),
                          (ULONG)(FzChance(rng, 70) ? 0 : FzLength(worker)),
                          FzChance(rng, 60) ? FZ_PAGE : FzLength(worker), NULL, NULL};

        if (FzChance(rng, 10))
            view.Length = (ULONG)FzLength(worker);
        return FzEmitCopy(worker, &view, sizeof(view));
    }
}

void *FzImageName(FZ_WORKER *worker)
{
    static const WCHAR *const Names[] = {
        u"tfuzz", u"tfuzz.exe", u"nothere", u"", u"tfuzz.exe.exe", u"TFUZZ",
        u"abcdefghijklmnopqrstuvwxyz", u"\\tfuzz",
    };

    return FzUnicodeString(worker, Names[FzBelow(&worker->Rng, sizeof(Names) / sizeof(Names[0]))]);
}

// A name for NtCreateFile/NtOpenFile: the test devices (loaded around the
// campaign, tests/kernel/test_fuzz.c), files on them, links to them, and
// names that are not devices; attributes as FzObjectAttributes makes them,
// now and then a file handle as the root.
void *FzFileAttributes(FZ_WORKER *worker)
{
    static const WCHAR *const Names[] = {
        u"\\Device\\KtIoSync", u"\\Device\\KtIoSync\\fz", u"\\Device\\KtIoSync\\missing",
        u"\\??\\KtIoSync\\fzlink", u"\\Device\\KtIoFail", u"\\Device\\KtIoBottom\\fz",
        u"\\Device\\KtIoPend", u"\\Device", u"\\BaseNamedObjects", u"\\Device\\nothere",
        u"fzrelative", u"\\Device\\KtIoSync\\", u"\\Device\\KtIoSync\\a\\b\\c",
    };
    FZ_RNG *rng = &worker->Rng;
    OBJECT_ATTRIBUTES *attributes;

    if (FzChance(rng, 10))
        return FzObjectAttributes(worker);
    attributes = FzScratch(worker, sizeof(*attributes));
    if (!attributes)
        return FzBadPointer(worker);
    InitializeObjectAttributes(attributes, NULL, OBJ_CASE_INSENSITIVE, NULL, NULL);
    attributes->ObjectName =
        FzUnicodeString(worker, Names[FzBelow(rng, sizeof(Names) / sizeof(Names[0]))]);
    if (FzChance(rng, 10))
        attributes->RootDirectory = FzPickHandle(worker, FzTypeFile);
    if (FzChance(rng, 5))
        attributes->Attributes = (ULONG)FzNext(rng);
    return attributes;
}

void *FzCommandLine(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    WCHAR text[64];
    char ascii[64];

    switch (FzBelow(rng, 5)) {
    case 0: snprintf(ascii, sizeof(ascii), "tfuzz idle"); break;
    case 1: snprintf(ascii, sizeof(ascii), "tfuzz srv %u %u", FzBelow(rng, 2), FzBelow(rng, 1000));
        break;
    case 2: snprintf(ascii, sizeof(ascii), "tfuzz cli %u %u", FzBelow(rng, 2), FzBelow(rng, 1000));
        break;
    case 3: snprintf(ascii, sizeof(ascii), "tfuzz %x", (ULONG)FzNext(rng)); break;
    default: snprintf(ascii, sizeof(ascii), "%s", ""); break;
    }
    for (ULONG i = 0;; i++) {
        text[i] = (UCHAR)ascii[i];
        if (!ascii[i])
            break;
    }
    return FzUnicodeString(worker, text);
}

// ALPC: port attributes (limits valid, zero, huge; flags valid, kernel-only,
// waitable, random), message attributes (a header whose allocated bits ask
// for attributes there is room for, or not), and a context naming a
// message received lately.
void *FzAlpcAttributes(FZ_WORKER *worker)
{
    static const ULONG Flags[] = {0, ALPC_PORFLG_ALLOW_IMPERSONATION, ALPC_PORFLG_ALLOW_LPC_REQUESTS,
                                  ALPC_PORFLG_WAITABLE_PORT, ALPC_PORFLG_SYSTEM_PROCESS,
                                  ALPC_PORFLG_LPC_MODE, 0xFFFFFFFF};
    FZ_RNG *rng = &worker->Rng;
    ALPC_PORT_ATTRIBUTES attributes;

    memset(&attributes, 0, sizeof(attributes));
    attributes.Flags = Flags[FzBelow(rng, sizeof(Flags) / sizeof(Flags[0]))];
    attributes.MaxMessageLength = FzChance(rng, 50) ? FzBelow(rng, 0x300) : FzLength(worker);
    attributes.MaxPoolUsage = FzChance(rng, 50) ? FzBelow(rng, 0x4000) : FzLength(worker);
    attributes.SecurityQos.Length = sizeof(SECURITY_QUALITY_OF_SERVICE);
    attributes.SecurityQos.ImpersonationLevel = FzBelow(rng, 5);
    return FzEmitCopy(worker, &attributes, sizeof(attributes));
}

void *FzMessageAttributes(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    UCHAR buffer[sizeof(ALPC_MESSAGE_ATTRIBUTES) + 0x60];
    ALPC_MESSAGE_ATTRIBUTES *header = (ALPC_MESSAGE_ATTRIBUTES *)buffer;
    ULONG size = sizeof(buffer);

    memset(buffer, 0, sizeof(buffer));
    header->AllocatedAttributes = FzChance(rng, 70) ? ALPC_MESSAGE_CONTEXT_ATTRIBUTE
                                                     : (ULONG)FzNext(rng);
    header->ValidAttributes = FzChance(rng, 70) ? 0 : (ULONG)FzNext(rng);
    // Sometimes only the header: the attributes run past the buffer's end.
    if (FzChance(rng, 20))
        size = sizeof(ALPC_MESSAGE_ATTRIBUTES);
    return FzEmitCopy(worker, buffer, size);
}

void *FzAlpcContextValue(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    ALPC_CONTEXT_ATTR context;
    ULONG at = FzBelow(rng, 8);

    if (FzChance(rng, 10))
        return FzChance(rng, 50) ? NULL : FzBadPointer(worker);
    memset(&context, 0, sizeof(context));
    context.MessageId = FzChance(rng, 70) ? (ULONG)FzLastReceived[at] : FzBelow(rng, 64) * 4;
    context.CallbackId = FzChance(rng, 70) ? FzLastCallback[at] : (ULONG)FzNext(rng);
    return FzEmitCopy(worker, &context, sizeof(context));
}
