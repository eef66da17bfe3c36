// One AsyncWorker shape for every tensor-heavy call: `work` runs on the engine thread (EngineThread.h)
// while the libuv worker thread that queued it waits, holding `lock` when given, so one model is never
// used by two workers at once; it returns a `finish` callback that builds the resolved JS value on the
// main thread. Engine exceptions reject the promise with a JS Error carrying the engine's message.
// `keepAlive` pins the JS object (the encoder) until the work is done.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "Convert.h"
#include "EngineThread.h"

namespace embedforge::addon {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Finish = std::function<Napi::Value(Napi::Env)>;
  using Work = std::function<Finish()>;

  static Napi::Promise Start(Napi::Env env, Work work, std::shared_ptr<std::mutex> lock = nullptr,
                             Napi::Object keepAlive = Napi::Object()) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(lock), keepAlive);
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      std::unique_lock<std::mutex> guard;
      if (lock_) guard = std::unique_lock<std::mutex>(*lock_);
      runOnEngineThread([this] {
        finish_ = work_();
        // Drop the work's captures (e.g. an encoder's last reference after dispose) here, under the lock,
        // on the engine thread that allocated its tensors.
        work_ = nullptr;
      });
    } catch (...) {
      SetError(currentExceptionMessage());
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(finish_ ? finish_(Env()) : Env().Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 public:
  /** A promise rejected with e: argument errors of a Promise-returning method reach the caller as a rejection. */
  static Napi::Promise Rejected(Napi::Env env, const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }

 private:
  PromiseWorker(Napi::Env env, Work work, std::shared_ptr<std::mutex> lock, Napi::Object keepAlive)
      : Napi::AsyncWorker(env, "embedforge"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        lock_(std::move(lock)) {
    if (!keepAlive.IsEmpty()) keepAlive_ = Napi::Persistent(keepAlive);
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Finish finish_;
  std::shared_ptr<std::mutex> lock_;
  Napi::ObjectReference keepAlive_;
};

}  // namespace embedforge::addon
