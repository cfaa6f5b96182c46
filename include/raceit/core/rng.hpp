#pragma once
// Counter-based random numbers (Philox-4x32-10). Every draw is a pure function of
// (seed, stream, index), so results do not depend on thread count or the order of work:
// give each noise source its own stream and index draws by what they perturb.
#include <array>
#include <cstdint>

namespace raceit {

// Philox-4x32-10 block: 128 random bits from a 128-bit counter and a 64-bit key.
std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> counter,
                                        std::array<std::uint32_t, 2> key);

class CounterRng {
 public:
  explicit CounterRng(std::uint64_t seed) : seed_(seed) {}
  std::uint64_t seed() const { return seed_; }

  // Uniform in the open interval (0, 1), 53-bit resolution.
  double uniform(std::uint64_t stream, std::uint64_t index) const;
  // Standard normal N(0, 1) (Box–Muller on one Philox block).
  double normal(std::uint64_t stream, std::uint64_t index) const;
  // 64 raw random bits.
  std::uint64_t bits64(std::uint64_t stream, std::uint64_t index) const;

 private:
  std::uint64_t seed_;
};

// Well-known streams, so two noise sources never share draws by accident.
namespace streams {
constexpr std::uint64_t kAcamWrite = 1;
constexpr std::uint64_t kAcamRead = 2;
constexpr std::uint64_t kAcamStuck = 3;
constexpr std::uint64_t kXbarWrite = 11;
constexpr std::uint64_t kXbarRead = 12;
constexpr std::uint64_t kXbarStuck = 13;
constexpr std::uint64_t kXbarReadPerRead = 14;  // per read, drawn per column (exact variance)
constexpr std::uint64_t kXbarReadPerCell = 15;  // per read, drawn per cell (reference path)
constexpr std::uint64_t kXbarAcamReadout = 16;  // seeds of the Compute-ACAM readout realisations
constexpr std::uint64_t kProgramSeeds = 17;    // seeds of a compiled program's engines, per (operator, engine)
constexpr std::uint64_t kRuntimeWrites = 18;   // seeds of operands written into crossbars at run time
constexpr std::uint64_t kData = 100;  // synthetic inputs and weights
}  // namespace streams

}  // namespace raceit
