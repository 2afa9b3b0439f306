/* Stand-in for the C library's header, for a type check only (see docs/platforms.md):
 * the three functions ring's C calls, as the C standard declares them. */
#ifndef WKTUI_STUB_STRING_H
#define WKTUI_STUB_STRING_H
#include <stddef.h>
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif
