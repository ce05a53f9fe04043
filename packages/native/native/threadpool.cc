#include "threadpool.h"

#include <cstdlib>

#ifdef __linux__
#include <sched.h>
#endif

namespace rnnkit {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::drain() {
  for (int t = next_.fetch_add(1); t < tasks_; t = next_.fetch_add(1)) (*job_)(t);
}

void ThreadPool::workerLoop() {
  unsigned long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      ++busy_;
    }
    drain();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--busy_ == 0) done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  if (tasks == 1 || workers_.empty()) {
    for (int t = 0; t < tasks; ++t) fn(t);
    return;
  }
  std::lock_guard<std::mutex> call(callMu_);
  {
    std::unique_lock<std::mutex> lock(mu_);
    // A worker that woke late for the previous job may still be inside drain(); it must not
    // see this job's counters half-reset.
    done_.wait(lock, [&] { return busy_ == 0; });
    job_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    ++generation_;
  }
  wake_.notify_all();
  drain();
  std::unique_lock<std::mutex> lock(mu_);
  // Workers that woke late find no tasks left and leave immediately; wait for the ones inside.
  done_.wait(lock, [&] { return busy_ == 0; });
  job_ = nullptr;
}

static int configuredThreads() {
  if (const char* env = std::getenv("RNNKIT_NATIVE_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  // The cores this process may run on, not the machine's: under taskset, a container's cpuset or
  // numactl, hardware_concurrency() still counts every core, and workers beyond the allowed ones
  // would only take turns on them.
  unsigned hw = std::thread::hardware_concurrency();
#ifdef __linux__
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) hw = static_cast<unsigned>(CPU_COUNT(&allowed));
#endif
  return hw == 0 ? 1 : static_cast<int>(hw > 16 ? 16 : hw);
}

ThreadPool& pool() {
  static ThreadPool instance(configuredThreads());
  return instance;
}

}  // namespace rnnkit
