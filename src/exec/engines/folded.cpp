// The runtime of the folded engine (compiler/engines/folded.hpp): its input passes through.
#include "runtime.hpp"

namespace raceit::exec {

std::unique_ptr<OpEngine> make_runtime(const compiler::FoldedOp&, const RuntimeContext& context) {
  return pass_through(context);
}

}  // namespace raceit::exec
