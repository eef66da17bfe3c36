// Every tensor-heavy call of the addon runs on one long-lived engine thread. libuv's pool spreads
// calls over its threads (4 by default), and on the CPU each of them then grows its own glibc malloc
// arena (freed activations stay cached per thread: resident memory climbed about 1 GB a step at
// batch 32, measured) and its own OpenMP team (more threads than cores). The libuv thread that
// queued the call only waits here, so the promise machinery is unchanged.
// EMBEDFORGE_NUM_THREADS=n (n >= 1) sets LibTorch's intra-op thread count on that thread; unset,
// LibTorch's default (the number of physical cores) stands.
#pragma once
#include <functional>

namespace embedforge::addon {

/** Runs task on the engine thread and waits for it; an exception thrown by task is rethrown here. */
void runOnEngineThread(const std::function<void()>& task);

/** LibTorch's intra-op thread count as the engine thread sees it. */
int engineThreadCount();

}  // namespace embedforge::addon
