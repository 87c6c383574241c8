// Without the CUDA backend the GPU entry points exist but report no device.
#if !defined(CIMMC_HAVE_CUDA)
#include <stdexcept>

#include "launcher.hpp"

namespace cimmc {
int cuda_device_count() { return 0; }
void cuda_use_device(int) {}
std::string cuda_device_name() { return "none"; }
void launch_cuda(const JobView*, const JobOutput*, int, const ProgressFn&, LaunchTimes*) {
  throw DeviceError("the CUDA backend is not in this build (nvcc was not found when it was built)");
}
}  // namespace cimmc
#endif
