/* Ctrl-Break as Windows delivers it, for tests/it/windows_wine.rs: the
 * system starts a thread in each process of the console at kernelbase's
 * CtrlRoutine with the event's code; this program does that to its parent
 * (the `wktui exec` that started it), survives its own copy of the event,
 * works a while and exits 5. Wine 8's GenerateConsoleCtrlEvent needs a
 * console that a test's pipes do not give, hence the remote thread. */
#include <stdio.h>
#include <windows.h>
#include <tlhelp32.h>

static BOOL WINAPI keep_going(DWORD event) {
  (void)event;
  return TRUE;
}

static DWORD parent_pid(void) {
  DWORD me = GetCurrentProcessId(), parent = 0;
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  PROCESSENTRY32 entry = {sizeof entry};
  if (snap == INVALID_HANDLE_VALUE) return 0;
  for (BOOL ok = Process32First(snap, &entry); ok; ok = Process32Next(snap, &entry))
    if (entry.th32ProcessID == me) parent = entry.th32ParentProcessID;
  CloseHandle(snap);
  return parent;
}

int main(void) {
  SetConsoleCtrlHandler(keep_going, TRUE);
  FARPROC routine = GetProcAddress(GetModuleHandleA("kernelbase.dll"), "CtrlRoutine");
  DWORD pid = parent_pid();
  HANDLE parent = pid ? OpenProcess(PROCESS_ALL_ACCESS, FALSE, pid) : NULL;
  if (!routine || !parent) {
    fprintf(stderr, "ctrl_break: no CtrlRoutine or no parent (error %lu)\n", GetLastError());
    return 9;
  }
  HANDLE thread = CreateRemoteThread(parent, NULL, 0, (LPTHREAD_START_ROUTINE)routine,
                                     (LPVOID)(ULONG_PTR)CTRL_BREAK_EVENT, 0, NULL);
  if (!thread) {
    fprintf(stderr, "ctrl_break: CreateRemoteThread failed (error %lu)\n", GetLastError());
    return 9;
  }
  WaitForSingleObject(thread, 5000);
  fprintf(stderr, "ctrl_break: sent to %lu\n", pid);
  fflush(stderr);
  Sleep(2000);
  return 5;
}
