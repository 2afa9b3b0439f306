/* Stand-in for the macOS SDK's header, for a type check only (see docs/platforms.md):
 * what signal-hook's extract.c reads from a siginfo_t (macOS's layout and
 * values). Never used to build a program. */
#ifndef WKTUI_STUB_SIGNAL_H
#define WKTUI_STUB_SIGNAL_H
#include <stddef.h> /* size_t, which the real header brings in too */
#include <stdint.h>

typedef int32_t pid_t;
typedef uint32_t uid_t;

union sigval {
    int sival_int;
    void *sival_ptr;
};

typedef struct __siginfo {
    int si_signo;
    int si_errno;
    int si_code;
    pid_t si_pid;
    uid_t si_uid;
    int si_status;
    void *si_addr;
    union sigval si_value;
    long si_band;
    unsigned long __pad[7];
} siginfo_t;

#define SIGCHLD 20

#define SI_USER 0x10001
#define SI_QUEUE 0x10002
#define SI_TIMER 0x10003
#define SI_ASYNCIO 0x10004
#define SI_MESGQ 0x10005

#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_TRAPPED 4
#define CLD_STOPPED 5
#define CLD_CONTINUED 6
#endif
