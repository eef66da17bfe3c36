#include "ProcessExit.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <unistd.h>
#endif

namespace embedforge::addon {

#if defined(__GLIBC__)
namespace {

void exitNow(int status, void*) {
  std::fflush(nullptr);
  _exit(status);
}

}  // namespace

void skipStaticDestructorsAtExit() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Opt-in only (the test runner sets it): skipping exit handlers is not a library's call to make in a
    // user's process, where other libraries' handlers registered before ours would be skipped too.
    const char* fast = std::getenv("EMBEDFORGE_FAST_EXIT");
    if (!fast || std::strcmp(fast, "1") != 0) return;
    // on_exit handlers run in reverse order of registration with the static destructors (__cxa_atexit), so
    // this one, registered after LibTorch's libraries were loaded, runs before their destructors.
    on_exit(exitNow, nullptr);
  });
}
#else
void skipStaticDestructorsAtExit() {}
#endif

}  // namespace embedforge::addon
