// A RAM file's bytes: one contiguous block of pool per file, grown by
// doubling (so a file written in small pieces is copied O(log n) times),
// counted against the volume's size. See rfcore.h.

#include "drivers/ramfs/rfcore.h"

NTSTATUS RamFsReadData(const RAMFS_FCB *fcb, ULONG64 offset, void *buffer, ULONG length,
                       ULONG *bytesRead)
{
    ULONG64 available;

    *bytesRead = 0;
    if (fcb->FileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        return STATUS_INVALID_PARAMETER;
    if (offset >= fcb->FileSize)
        return STATUS_END_OF_FILE;
    available = fcb->FileSize - offset;
    if (length > available)
        length = (ULONG)available;
    memcpy(buffer, fcb->Data + offset, length);
    *bytesRead = length;
    return STATUS_SUCCESS;
}

// Makes room for `size` bytes. The new block is at least twice the old one
// when the volume has the room, else exactly `size`.
static NTSTATUS RamFsGrow(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG64 size)
{
    ULONG64 capacity = fcb->AllocationSize * 2;
    ULONG64 freeBytes = vcb->BytesLimit - vcb->BytesUsed + fcb->AllocationSize;
    UCHAR *data;

    if (size > RAMFS_MAX_FILE_SIZE || size > freeBytes)
        return STATUS_DISK_FULL;
    if (capacity < 64)
        capacity = 64;
    if (capacity < size)
        capacity = size;
    if (capacity > RAMFS_MAX_FILE_SIZE)
        capacity = RAMFS_MAX_FILE_SIZE;
    if (capacity > freeBytes)
        capacity = size;
    data = RamFsAllocate(capacity, RAMFS_DATA_TAG);
    if (!data)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (fcb->Data) {
        memcpy(data, fcb->Data, fcb->FileSize);
        RamFsFree(fcb->Data, RAMFS_DATA_TAG);
    }
    vcb->BytesUsed += capacity - fcb->AllocationSize;
    fcb->Data = data;
    fcb->AllocationSize = capacity;
    return STATUS_SUCCESS;
}

// Sets the size, zeroing what a larger size adds.
static NTSTATUS RamFsResize(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG64 size)
{
    if (size > fcb->AllocationSize) {
        NTSTATUS status = RamFsGrow(vcb, fcb, size);

        if (!NT_SUCCESS(status))
            return status;
    }
    if (size > fcb->FileSize)
        memset(fcb->Data + fcb->FileSize, 0, size - fcb->FileSize);
    fcb->FileSize = size;
    return STATUS_SUCCESS;
}

NTSTATUS RamFsWriteData(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG64 offset, const void *buffer,
                        ULONG length, ULONG *bytesWritten)
{
    NTSTATUS status;

    *bytesWritten = 0;
    if (fcb->FileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        return STATUS_INVALID_PARAMETER;
    if (offset > RAMFS_MAX_FILE_SIZE || length > RAMFS_MAX_FILE_SIZE - offset)
        return STATUS_DISK_FULL;
    if (length == 0)
        return STATUS_SUCCESS;
    if (offset + length > fcb->FileSize) {
        status = RamFsResize(vcb, fcb, offset + length);
        if (!NT_SUCCESS(status))
            return status;
    }
    memcpy(fcb->Data + offset, buffer, length);
    fcb->LastWriteTime = vcb->CurrentTime;
    *bytesWritten = length;
    return STATUS_SUCCESS;
}

NTSTATUS RamFsSetFileSize(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG64 size)
{
    NTSTATUS status;

    if (fcb->FileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        return STATUS_INVALID_PARAMETER;
    if (size > RAMFS_MAX_FILE_SIZE)
        return STATUS_DISK_FULL;
    status = RamFsResize(vcb, fcb, size);
    if (NT_SUCCESS(status))
        fcb->LastWriteTime = vcb->CurrentTime;
    return status;
}

// SplitMix64's finaliser: every input bit moves every output bit.
static ULONG64 RamFsMix(ULONG64 z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The key stream: eight bytes per block of eight, from the FEK's two halves
// and the block's number, so any byte of a file can be (de)ciphered alone.
void RamFsCipher(const UCHAR fek[RAMFS_FEK_LENGTH], ULONG64 offset, void *buffer, SIZE_T length)
{
    ULONG64 k0 = 0, k1 = 0;
    UCHAR *bytes = buffer;

    for (int i = 7; i >= 0; i--) {
        k0 = (k0 << 8) | fek[i];
        k1 = (k1 << 8) | fek[8 + i];
    }
    for (SIZE_T i = 0; i < length; i++) {
        ULONG64 position = offset + i;
        ULONG64 block = position / 8;
        ULONG64 word = RamFsMix(k0 + block * 0x9E3779B97F4A7C15ull) ^ RamFsMix(k1 ^ block);

        bytes[i] ^= (UCHAR)(word >> (8 * (position % 8)));
    }
}
