#include "EngineThread.h"

#include <ATen/Parallel.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace embedforge::addon {

namespace {

// EMBEDFORGE_NUM_THREADS as a positive count, 0 when unset; anything else is refused by name.
int requestedThreads() {
  const char* raw = std::getenv("EMBEDFORGE_NUM_THREADS");
  if (!raw || !*raw) return 0;
  char* end = nullptr;
  const long n = std::strtol(raw, &end, 10);
  if (*end != '\0' || n < 1 || n > 4096) {
    throw std::invalid_argument(std::string("EMBEDFORGE_NUM_THREADS must be a whole number >= 1, got \"") + raw + "\"");
  }
  return static_cast<int>(n);
}

class EngineThread {
 public:
  static EngineThread& instance() {
    // Never destroyed: the thread sleeps on its queue until the process ends.
    static EngineThread* engine = new EngineThread();
    return *engine;
  }

  void run(const std::function<void()>& task) {
    std::packaged_task<void()> packaged(task);
    std::future<void> done = packaged.get_future();
    {
      std::lock_guard<std::mutex> guard(mutex_);
      queue_.push_back(std::move(packaged));
    }
    wake_.notify_one();
    done.get();
  }

 private:
  EngineThread() {
    const int threads = requestedThreads();  // checked before the thread starts, so a bad value fails the call
    std::thread([this, threads] { loop(threads); }).detach();
  }

  void loop(int threads) {
    if (threads > 0) at::set_num_threads(threads);
    for (;;) {
      std::packaged_task<void()> task;
      {
        std::unique_lock<std::mutex> guard(mutex_);
        wake_.wait(guard, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<void()>> queue_;
};

}  // namespace

void runOnEngineThread(const std::function<void()>& task) { EngineThread::instance().run(task); }

int engineThreadCount() {
  int count = 0;
  runOnEngineThread([&count] { count = at::get_num_threads(); });
  return count;
}

}  // namespace embedforge::addon
