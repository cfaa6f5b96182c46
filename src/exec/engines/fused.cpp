// The runtime of the fused engine (compiler/engines/fused.hpp): its input passes through.
#include "runtime.hpp"

namespace raceit::exec {

std::unique_ptr<OpEngine> make_runtime(const compiler::FusedOp&, const RuntimeContext& context) {
  return pass_through(context);
}

}  // namespace raceit::exec
