// The runtime of the digital engine (compiler/engines/digital.hpp). The digital engine runs the FP32 kernel itself.
#include "runtime.hpp"

namespace raceit::exec {

std::unique_ptr<OpEngine> make_runtime(const compiler::DigitalOp&, const RuntimeContext&) { return nullptr; }

}  // namespace raceit::exec
