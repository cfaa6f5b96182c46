// Fashion-MNIST from Debian's dataset-fashion-mnist: the data set of the shipped vit-fmnist.
#include "entries.hpp"

namespace raceit::model {

DatasetEntry fashion_mnist_dataset() {
  return {.name = "fashion-mnist",
          .description = "Fashion-MNIST 28x28, [N, 1, 28, 28] (10,000 test, 60,000 train); vit-fmnist",
          .load = [](const Graph& graph, Split split, std::int64_t limit, const DataPaths& paths) {
            return image_samples(
                split == Split::Train ? load_fashion_mnist_train(paths, limit) : load_fashion_mnist_test(paths), graph,
                split, limit);
          }};
}

}  // namespace raceit::model
