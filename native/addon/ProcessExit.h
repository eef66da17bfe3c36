// LibTorch's static destructors (its operator registry, thread pools) take some 0.3 s at process exit, and
// seconds on a loaded machine: long enough for a supervisor to give up on a process that has finished its
// work (jest kills a worker that has not exited 500 ms after its last test: "A worker process has failed to
// exit gracefully"). skipStaticDestructorsAtExit() registers, after LibTorch's destructors, an exit handler
// that ends the process with the exit status right away: it runs once Node has finished its own exit (every
// 'exit' listener run, every write done), so C++ static destructors are skipped. Only when
// EMBEDFORGE_FAST_EXIT=1 (jest.config.js sets it for the test workers): in a user's process it stays off,
// since handlers that other libraries registered before ours would be skipped as well.
#pragma once

namespace embedforge::addon {

void skipStaticDestructorsAtExit();

}  // namespace embedforge::addon
