// Without the CUDA backend the GPU entry points exist but report no device.
#if !defined(CIMMC_HAVE_CUDA)
#include <stdexcept>

#include "launcher.hpp"

namespace cimmc {
int cuda_device_count() { return 0; }
std::string cuda_device_name() { return "none"; }
void launch_cuda(const JobView*, const JobOutput*, int, const ProgressFn&) {
  throw std::logic_error("launch_cuda called in a build without the CUDA backend");
}
}  // namespace cimmc
#endif
