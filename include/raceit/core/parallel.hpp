#pragma once
// A minimal static-partition parallel loop. Work items must write only their own outputs and
// draw random numbers by (seed, stream, index), never from shared state, so that results are
// identical for any thread count.
#include <cstddef>
#include <functional>

namespace raceit {

// Number of worker threads to use: RACEIT_THREADS if set, else the hardware concurrency.
int default_threads();

// Calls body(begin, end) on contiguous chunks of [0, n) from up to `threads` threads
// (threads <= 0 means default_threads()). Exceptions from a chunk are rethrown after all join.
void parallel_for(std::size_t n, int threads,
                  const std::function<void(std::size_t begin, std::size_t end)>& body);

}  // namespace raceit
