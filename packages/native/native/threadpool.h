// A tiny persistent thread pool. Spawning threads per GEMM would cost more than the small
// per-timestep products themselves, so workers sleep on a condition variable between jobs
// and the calling thread always takes a share of the work.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rnnkit {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Runs fn(task) for task in [0, tasks), spread over the pool; returns when all are done.
  void parallelFor(int tasks, const std::function<void(int)>& fn);

 private:
  void workerLoop();
  void drain();
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* job_ = nullptr;
  int tasks_ = 0;
  std::atomic<int> next_{0};
  int busy_ = 0;
  unsigned long generation_ = 0;
  bool stop_ = false;
  std::mutex callMu_;  // parallelFor is not re-entrant across JS callers; serialize.
};

ThreadPool& pool();

}  // namespace rnnkit
