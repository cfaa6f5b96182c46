// The runtime of the none engine (compiler/engines/none.hpp). Data movement runs the FP32 kernel (it computes nothing).
#include "runtime.hpp"

namespace raceit::exec {

std::unique_ptr<OpEngine> make_runtime(const compiler::NoneOp&, const RuntimeContext&) { return nullptr; }

}  // namespace raceit::exec
