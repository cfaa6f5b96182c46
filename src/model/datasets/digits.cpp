// sklearn's 8×8 digits: the data set of the shipped vit-digits.
#include "entries.hpp"

namespace raceit::model {

DatasetEntry digits_dataset() {
  return {.name = "digits",
          .description = "sklearn 8x8 digits, [N, 1, 8, 8] (450 test, 1347 train); vit-digits",
          .load = [](const Graph& graph, Split split, std::int64_t limit, const DataPaths& paths) {
            return image_samples(split == Split::Train ? load_digits_train(paths, limit) : load_digits_test(paths), graph,
                                 split, limit);
          }};
}

}  // namespace raceit::model
