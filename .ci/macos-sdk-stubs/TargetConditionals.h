/* Stand-in for the macOS SDK's header, for a type check only (see docs/platforms.md):
 * says "macOS", as ring's base.h asks. Never used to build a program. */
#ifndef WKTUI_STUB_TARGETCONDITIONALS_H
#define WKTUI_STUB_TARGETCONDITIONALS_H
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_TV 0
#define TARGET_OS_SIMULATOR 0
#endif
