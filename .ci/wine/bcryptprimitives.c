/* Wine 8 has no bcryptprimitives.dll, from which Rust's std (1.78 and later)
 * imports ProcessPrng for its random numbers (HashMap seeds, among others).
 * This stand-in, used only by the Wine test harness, answers from
 * RtlGenRandom (advapi32's SystemFunction036), which Wine does implement.
 * Built with: x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll
 *             bcryptprimitives.c bcryptprimitives.def -ladvapi32           */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Like Windows' own: always TRUE; fills the buffer in chunks that fit a ULONG. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
