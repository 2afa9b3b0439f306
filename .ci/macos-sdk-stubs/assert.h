/* Stand-in for the C library's header, for a type check only (see docs/platforms.md):
 * ring's debug assertions, trapping as the real one would abort. */
#ifndef WKTUI_STUB_ASSERT_H
#define WKTUI_STUB_ASSERT_H
#ifdef NDEBUG
#define assert(x) ((void)0)
#else
#define assert(x) ((x) ? (void)0 : __builtin_trap())
#endif
#endif
