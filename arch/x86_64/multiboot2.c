// Reads the multiboot2 information GRUB leaves us into KeLoaderBlock, so that
// nothing after early boot depends on where GRUB put it.

#include "arch/x86_64/hal.h"

#define MB2_TAG_END          0
#define MB2_TAG_CMDLINE      1
#define MB2_TAG_LOADER_NAME  2
#define MB2_TAG_MODULE       3
#define MB2_TAG_MMAP         6
#define MB2_TAG_FRAMEBUFFER  8
#define MB2_TAG_EFI64        12
#define MB2_TAG_ACPI_OLD     14
#define MB2_TAG_ACPI_NEW     15
#define MB2_TAG_EFI64_IH     20

#define MB2_MAX_INFO_SIZE    (1024 * 1024)

typedef struct __attribute__((packed)) _MB2_TAG {
    ULONG Type;
    ULONG Size;
} MB2_TAG;

typedef struct __attribute__((packed)) _MB2_MMAP_ENTRY {
    ULONG64 BaseAddress;
    ULONG64 Length;
    ULONG Type;
    ULONG Reserved;
} MB2_MMAP_ENTRY;

typedef struct __attribute__((packed)) _MB2_FRAMEBUFFER {
    MB2_TAG Tag;
    ULONG64 Address;
    ULONG Pitch;
    ULONG Width;
    ULONG Height;
    UCHAR Bpp;
    UCHAR Type;
    USHORT Reserved;
    UCHAR RedPosition, RedSize, GreenPosition, GreenSize, BluePosition, BlueSize;
} MB2_FRAMEBUFFER;

LOADER_PARAMETER_BLOCK KeLoaderBlock;

static void HalpCopyString(char *destination, size_t size, const char *source, size_t maxSource)
{
    size_t length = strnlen(source, maxSource);

    if (length >= size)
        length = size - 1;
    memcpy(destination, source, length);
    destination[length] = '\0';
}

static void HalpAddMemory(const MB2_MMAP_ENTRY *entry)
{
    LOADER_PARAMETER_BLOCK *lb = &KeLoaderBlock;
    ULONG64 first, last;
    MEMORY_DESCRIPTOR *md;

    if (lb->MemoryDescriptorCount == LOADER_MAX_MEMORY_DESCRIPTORS || entry->Length == 0)
        return;
    // Usable RAM shrinks to whole pages; anything else grows to them.
    if (entry->Type == LoaderFree) {
        first = ALIGN_UP_BY(entry->BaseAddress, PAGE_SIZE) >> PAGE_SHIFT;
        last = ALIGN_DOWN_BY(entry->BaseAddress + entry->Length, PAGE_SIZE) >> PAGE_SHIFT;
    } else {
        first = ALIGN_DOWN_BY(entry->BaseAddress, PAGE_SIZE) >> PAGE_SHIFT;
        last = ALIGN_UP_BY(entry->BaseAddress + entry->Length, PAGE_SIZE) >> PAGE_SHIFT;
    }
    if (last <= first)
        return;
    md = &lb->MemoryDescriptors[lb->MemoryDescriptorCount++];
    md->BasePage = first;
    md->PageCount = last - first;
    md->Type = entry->Type <= LoaderBad ? entry->Type : LoaderReserved;
}

BOOLEAN HalpParseMultiboot2(const void *info)
{
    const UCHAR *base = info;
    ULONG totalSize = *(const ULONG *)base;
    ULONG offset = 8;
    LOADER_PARAMETER_BLOCK *lb = &KeLoaderBlock;

    if (totalSize < 16 || totalSize > MB2_MAX_INFO_SIZE)
        return FALSE;
    lb->Framebuffer.Type = FramebufferNone;

    while (offset + sizeof(MB2_TAG) <= totalSize) {
        const MB2_TAG *tag = (const MB2_TAG *)(base + offset);
        const UCHAR *body = (const UCHAR *)(tag + 1);
        ULONG bodySize = tag->Size - sizeof(MB2_TAG);

        if (tag->Type == MB2_TAG_END)
            break;
        if (tag->Size < sizeof(MB2_TAG) || offset + tag->Size > totalSize)
            return FALSE;

        switch (tag->Type) {
        case MB2_TAG_CMDLINE:
            HalpCopyString(lb->CommandLine, sizeof(lb->CommandLine), (const char *)body, bodySize);
            break;
        case MB2_TAG_LOADER_NAME:
            HalpCopyString(lb->BootLoaderName, sizeof(lb->BootLoaderName), (const char *)body,
                           bodySize);
            break;
        case MB2_TAG_MODULE:
            if (lb->ModuleCount < LOADER_MAX_MODULES && bodySize >= 8) {
                LOADER_MODULE *module = &lb->Modules[lb->ModuleCount++];

                module->PhysicalStart = ((const ULONG *)body)[0];
                module->PhysicalEnd = ((const ULONG *)body)[1];
                HalpCopyString(module->Name, sizeof(module->Name), (const char *)body + 8,
                               bodySize - 8);
            }
            break;
        case MB2_TAG_MMAP: {
            ULONG entrySize = ((const ULONG *)body)[0];

            if (entrySize < sizeof(MB2_MMAP_ENTRY))
                return FALSE;
            for (ULONG at = 8; at + entrySize <= bodySize; at += entrySize)
                HalpAddMemory((const MB2_MMAP_ENTRY *)(body + at));
            break;
        }
        case MB2_TAG_FRAMEBUFFER: {
            const MB2_FRAMEBUFFER *fb = (const MB2_FRAMEBUFFER *)tag;
            LOADER_FRAMEBUFFER *out = &lb->Framebuffer;

            out->PhysicalAddress = fb->Address;
            out->Pitch = fb->Pitch;
            out->Width = fb->Width;
            out->Height = fb->Height;
            out->BitsPerPixel = fb->Bpp;
            out->Type = fb->Type;
            if (fb->Type == FramebufferRgb && tag->Size >= sizeof(MB2_FRAMEBUFFER)) {
                out->RedPosition = fb->RedPosition;
                out->RedSize = fb->RedSize;
                out->GreenPosition = fb->GreenPosition;
                out->GreenSize = fb->GreenSize;
                out->BluePosition = fb->BluePosition;
                out->BlueSize = fb->BlueSize;
            }
            break;
        }
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            // Prefer the ACPI 2.0 RSDP (it has the XSDT) when both are given.
            if (!lb->RsdpPhysical || tag->Type == MB2_TAG_ACPI_NEW) {
                ULONG copy = bodySize < sizeof(lb->Rsdp) ? bodySize : sizeof(lb->Rsdp);

                memcpy(lb->Rsdp, body, copy);
                lb->RsdpPhysical = (ULONG64)(ULONG_PTR)body;
            }
            break;
        case MB2_TAG_EFI64:
        case MB2_TAG_EFI64_IH:
            lb->EfiBoot = TRUE;
            break;
        default:
            break;
        }
        offset += ALIGN_UP_BY(tag->Size, 8);
    }
    return TRUE;
}
