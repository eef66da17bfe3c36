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
    const char* full = std::getenv("EMBEDFORGE_FULL_EXIT_TEARDOWN");
    if (full && std::strcmp(full, "1") == 0) return;
    if (isatty(0) || isatty(1) || isatty(2)) return;
    // on_exit handlers run in reverse order of registration with the static destructors (__cxa_atexit), so
    // this one, registered after LibTorch's libraries were loaded, runs before their destructors.
    on_exit(exitNow, nullptr);
  });
}
#else
void skipStaticDestructorsAtExit() {}
#endif

}  // namespace embedforge::addon
