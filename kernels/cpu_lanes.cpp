// The GPU backend's block path on the CPU: every work item runs run_item()
// (block_runner.hpp, the body of the CUDA kernel) on a block of L lanes, each
// lane a fiber with its own stack. Lanes run one at a time, in turn, from one
// barrier (sync) to the next, in a chosen order: a value one lane writes and
// another reads without a barrier between them comes out differently in
// forward and reverse order, which is how a missing __syncthreads shows up
// here. Histogram adds need no atomics: only one lane runs at a time.
//
// For tests: one thread, one block, far slower than launch_cpu.
#include <ucontext.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>

#include "block_runner.hpp"
#include "launcher.hpp"

namespace cimmc {
namespace {

class LaneBlock;

struct LaneExec {
  LaneBlock* block;
  int me;
  int lane() const { return me; }
  int nlanes() const;
  void sync() const;
  void add(std::uint64_t* p, std::uint64_t n) const { *p += n; }
  LaneStats reduce(const LaneStats& s) const;
};

// L fibers stepping in turn between barriers.
class LaneBlock {
 public:
  LaneBlock(int lanes, bool reverse) : n_(lanes), reverse_(reverse), ctx_(lanes), stacks_(lanes), slots_(lanes) {
    for (auto& s : stacks_) s.resize(kStack);
  }
  int lanes() const { return n_; }

  // Runs body(LaneExec) on every lane until each returns.
  template <class Body>
  void run(const Body& body) {
    body_ = [&body](const LaneExec& ex) { body(ex); };
    for (int l = 0; l < n_; ++l) {
      getcontext(&ctx_[l]);
      ctx_[l].uc_stack.ss_sp = stacks_[l].data();
      ctx_[l].uc_stack.ss_size = stacks_[l].size();
      ctx_[l].uc_link = nullptr;
      // makecontext passes ints: the block's address in two halves.
      const auto p = reinterpret_cast<std::uintptr_t>(this);
      makecontext(&ctx_[l], reinterpret_cast<void (*)()>(&LaneBlock::entry), 3, static_cast<unsigned>(p),
                  static_cast<unsigned>(p >> 32), l);
    }
    finished_ = 0;
    swapcontext(&main_, &ctx_[first()]);
    if (finished_ != n_) throw std::logic_error("lane block: lanes left at a barrier");
  }

  // Barrier: hand over to the next lane; resumes when every lane has arrived.
  void sync(int lane) { swapcontext(&ctx_[lane], &ctx_[next(lane)]); }

  LaneStats reduce(int lane, const LaneStats& s) {
    slots_[lane] = s;
    sync(lane);
    LaneStats r;
    if (lane == 0)
      for (const LaneStats& x : slots_) r = combine(r, x);
    sync(lane);
    return r;
  }

 private:
  static constexpr std::size_t kStack = 256 * 1024;

  static void entry(unsigned lo, unsigned hi, int lane) {
    auto* self = reinterpret_cast<LaneBlock*>(static_cast<std::uintptr_t>(hi) << 32 | lo);
    self->body_(LaneExec{self, lane});
    // Every lane passes the same barriers, so when one lane returns the
    // others are between the last barrier and their own return.
    if (++self->finished_ == self->n_) setcontext(&self->main_);
    setcontext(&self->ctx_[self->next(lane)]);
  }
  int first() const { return reverse_ ? n_ - 1 : 0; }
  int next(int lane) const { return reverse_ ? (lane + n_ - 1) % n_ : (lane + 1) % n_; }

  int n_;
  bool reverse_;
  int finished_ = 0;
  ucontext_t main_{};
  std::vector<ucontext_t> ctx_;
  std::vector<std::vector<char>> stacks_;
  std::vector<LaneStats> slots_;
  std::function<void(const LaneExec&)> body_;
};

int LaneExec::nlanes() const { return block->lanes(); }
void LaneExec::sync() const { block->sync(me); }
LaneStats LaneExec::reduce(const LaneStats& s) const { return block->reduce(me, s); }

}  // namespace

void launch_cpu_lanes(const JobView* jobs, const JobOutput* outs, int njobs, int lanes, bool reverse) {
  if (lanes < 1) throw std::invalid_argument("launch_cpu_lanes: lanes must be >= 1");
  std::vector<DeviceJob> dj(static_cast<std::size_t>(njobs));
  std::uint64_t total = 0;
  std::size_t ws_size = 0;
  for (int i = 0; i < njobs; ++i) {
    dj[i] = DeviceJob{jobs[i], outs[i].hist, outs[i].moments, total};
    total += jobs[i].instances;
    ws_size = std::max(ws_size, bind_workspace(jobs[i], nullptr, nullptr));
  }
  // 64-byte aligned, as the GPU's scratch slots are.
  std::vector<char> bytes(ws_size + 64);
  char* scratch = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(bytes.data()) + 63) & ~std::uintptr_t(63));
  LaneBlock block(lanes, reverse);
  for (std::uint64_t item = 0; item < total; ++item)
    block.run([&](const LaneExec& ex) { run_item(dj.data(), njobs, item, scratch, ex); });
}

}  // namespace cimmc
