#include <cxxopts.hpp>
#include <iostream>
#include <new>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "infer/quant.hpp"
#include "io/hdf5_file.hpp"
#include "onnx/wire.hpp"

namespace cimmc {

int report_error(const std::exception_ptr& e, const std::string& where) {
  const auto say = [&](const std::exception& x, const char* kind, int code) {
    std::cerr << "cimmc: " << where << kind << x.what() << "\n";
    return code;
  };
  try {
    std::rethrow_exception(e);
  } catch (const cxxopts::exceptions::exception& x) {
    return say(x, "", 2);
  } catch (const UsageError& x) {
    return say(x, "", 2);
  } catch (const ConfigError& x) {
    return say(x, "", 2);
  } catch (const onnx::OnnxError& x) {
    return say(x, "", 2);
  } catch (const infer::InferError& x) {
    return say(x, "", 2);
  } catch (const DeviceError& x) {
    return say(x, "", 3);
  } catch (const IoError& x) {
    return say(x, "", 4);
  } catch (const std::bad_alloc& x) {  // say what to lower, not "internal error"
    std::cerr << "cimmc: " << where << "out of memory (" << x.what()
              << "): lower --memory-budget or --chunk-points, or run fewer points per process (--shard)\n";
    return 1;
  } catch (const std::exception& x) {
    return say(x, "internal error: ", 1);
  }
}

}  // namespace cimmc
