// The arguments of ALPC's extensions (kernel/alpc/alpcx.h): ALPC handles
// (port sections and security contexts) the fuzzer was given back, view
// and security attributes, view addresses, and message attribute buffers
// that carry a security or a view attribute. What a successful call wrote
// (a handle, a view's base, a context) is remembered, so that later calls
// reach real resources as often as bad ones.

#include "tests/user/tfuzz/fuzz.h"

#define FZ_REMEMBERED 16

static volatile ULONG64 FzAlpcHandles[FZ_REMEMBERED];
static volatile ULONG64 FzViewBases[FZ_REMEMBERED];
static volatile ULONG FzAlpcHandleNext, FzViewBaseNext;

static void FzRemember(volatile ULONG64 *slots, volatile ULONG *next, ULONG64 value)
{
    ULONG at = __atomic_fetch_add(next, 1, __ATOMIC_RELAXED) % FZ_REMEMBERED;

    slots[at] = value;
}

static ULONG64 FzAlpcHandleValue(FZ_RNG *rng)
{
    if (FzChance(rng, 70))
        return FzAlpcHandles[FzBelow(rng, FZ_REMEMBERED)];
    return FzChance(rng, 50) ? FzBelow(rng, 64) : FzNext(rng);
}

static ULONG64 FzViewBaseValue(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;

    if (FzChance(rng, 70))
        return FzViewBases[FzBelow(rng, FZ_REMEMBERED)];
    return FzMemoryAddress(worker);
}

static void *FzViewAttribute(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    ALPC_DATA_VIEW_ATTR view;

    if (FzChance(rng, 10))
        return FzBadPointer(worker);
    memset(&view, 0, sizeof(view));
    view.Flags = FzChance(rng, 80) ? 0 : (ULONG)FzNext(rng);
    view.SectionHandle = (ALPC_HANDLE)FzAlpcHandleValue(rng);
    view.ViewBase = FzChance(rng, 80) ? NULL : (PVOID)FzViewBaseValue(worker);
    view.ViewSize = FzChance(rng, 60) ? (FzBelow(rng, 0x40) + 1) * 0x1000 : FzLength(worker);
    return FzEmitCopy(worker, &view, sizeof(view));
}

static void *FzSecurityAttribute(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    ALPC_SECURITY_ATTR security;

    if (FzChance(rng, 10))
        return FzBadPointer(worker);
    memset(&security, 0, sizeof(security));
    security.Flags = FzChance(rng, 80) ? 0 : (ULONG)FzNext(rng);
    security.QualityOfService = FzChance(rng, 15) ? NULL : FzQualityOfService(worker);
    security.ContextHandle = FzChance(rng, 60) ? NULL : (ALPC_HANDLE)FzAlpcHandleValue(rng);
    return FzEmitCopy(worker, &security, sizeof(security));
}

void *FzAlpcxMessageAttributes(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    union {
        ALPC_MESSAGE_ATTRIBUTES Header;
        ULONG64 Storage[16];
    } buffer;
    ULONG flags = (ULONG)FzNext(rng) & ALPC_MESSAGE_ATTRIBUTES_VALID, required;
    ALPC_SECURITY_ATTR *security;
    ALPC_DATA_VIEW_ATTR *view;
    ALPC_CONTEXT_ATTR *context;

    memset(&buffer, 0, sizeof(buffer));
    AlpcInitializeMessageAttribute(flags, &buffer.Header, sizeof(buffer), &required);
    security = AlpcGetMessageAttribute(&buffer.Header, ALPC_MESSAGE_SECURITY_ATTRIBUTE);
    if (security) {
        security->QualityOfService = FzChance(rng, 15) ? NULL : FzQualityOfService(worker);
        security->ContextHandle = FzChance(rng, 70) ? NULL
                                                    : (ALPC_HANDLE)FzAlpcHandleValue(rng);
    }
    view = AlpcGetMessageAttribute(&buffer.Header, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    if (view) {
        static const ULONG ViewFlags[] = {0, 0, ALPC_VIEWFLG_UNMAP_EXISTING,
                                          ALPC_VIEWFLG_AUTO_RELEASE, 0x1};

        view->Flags = ViewFlags[FzBelow(rng, ARRAYSIZE(ViewFlags))];
        view->ViewBase = (PVOID)FzViewBaseValue(worker);
        view->ViewSize = FzChance(rng, 70) ? FzBelow(rng, 0x10000) : FzLength(worker);
    }
    context = AlpcGetMessageAttribute(&buffer.Header, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    if (context)
        context->MessageContext = (PVOID)FzNext(rng);
    // Mostly what was filled in, sometimes more or less than was allocated.
    buffer.Header.ValidAttributes = FzChance(rng, 80) ? flags : (ULONG)FzNext(rng);
    if (FzChance(rng, 10))
        buffer.Header.AllocatedAttributes |= 1u << FzBelow(rng, 32);
    return FzEmitCopy(worker, &buffer, FzChance(rng, 15) ? sizeof(ALPC_MESSAGE_ATTRIBUTES)
                                                         : required);
}

ULONG64 FzAlpcxGenerate(FZ_WORKER *worker, FZ_ARG kind, BOOLEAN *whole)
{
    ULONG room;
    void *at;

    switch (kind) {
    case FzAlpcHandle: return FzAlpcHandleValue(&worker->Rng);
    case FzOutAlpcHandle:
        at = FzPlace(worker, sizeof(ALPC_HANDLE), &room);
        *whole = at && room == sizeof(ALPC_HANDLE);
        return (ULONG64)at;
    // Written back whole by a service that succeeds (it probes all of it
    // for writing first): then what it wrote is remembered.
    case FzViewAttr:
        *whole = TRUE;
        return (ULONG64)FzViewAttribute(worker);
    case FzSecAttr:
        *whole = TRUE;
        return (ULONG64)FzSecurityAttribute(worker);
    case FzViewBase: return FzViewBaseValue(worker);
    default: return 0;
    }
}

void FzAlpcxNoteResult(FZ_ARG kind, ULONG64 argument, BOOLEAN whole)
{
    if (!whole)
        return;
    switch (kind) {
    case FzOutAlpcHandle:
        FzRemember(FzAlpcHandles, &FzAlpcHandleNext, *(ULONG64 *)argument);
        break;
    case FzViewAttr:
        FzRemember(FzViewBases, &FzViewBaseNext,
                   (ULONG64)((ALPC_DATA_VIEW_ATTR *)argument)->ViewBase);
        break;
    case FzSecAttr:
        FzRemember(FzAlpcHandles, &FzAlpcHandleNext,
                   (ULONG64)((ALPC_SECURITY_ATTR *)argument)->ContextHandle);
        break;
    default:
        break;
    }
}
