// LibTorch's static destructors (its operator registry, thread pools) take some 0.3 s at process exit, and
// seconds on a loaded machine: long enough for a supervisor to give up on a process that has finished its
// work (jest kills a worker that has not exited 500 ms after its last test: "A worker process has failed to
// exit gracefully"). skipStaticDestructorsAtExit() registers, after LibTorch's destructors, an exit handler
// that ends the process with the exit status right away: it runs once Node has finished its own exit (every
// 'exit' listener run, every write done), so only C++ static destructors are skipped. It does nothing when a
// standard stream is a terminal (Node restores the terminal's settings at exit) or when
// EMBEDFORGE_FULL_EXIT_TEARDOWN=1 (e.g. for native coverage tools that write their data at exit).
#pragma once

namespace embedforge::addon {

void skipStaticDestructorsAtExit();

}  // namespace embedforge::addon
