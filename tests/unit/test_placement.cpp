// Placement algorithms: validity on random buffer sets, bound, determinism.
#include <gtest/gtest.h>

#include <random>

#include "plan/placement.h"

namespace emlc {
namespace {

std::vector<BufferReq> randomBuffers(std::mt19937& rng, int n, int steps) {
  std::vector<BufferReq> b;
  for (int i = 0; i < n; ++i) {
    int f = static_cast<int>(rng() % static_cast<unsigned>(steps));
    int l = f + static_cast<int>(rng() % 5u);
    b.push_back(BufferReq{1 + rng() % 5000u, 16, f, l});
  }
  return b;
}

TEST(Placement, RandomSetsAreValidAndAtLeastTheBound) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 200; ++iter) {
    auto bufs = randomBuffers(rng, 1 + iter % 40, 30);
    Placement p = placeGreedyBySize(bufs);
    ASSERT_TRUE(checkPlacement(bufs, p).isOk()) << checkPlacement(bufs, p).error().message;
    EXPECT_GE(p.arena, lowerBound(bufs));
  }
}

TEST(Placement, ChainReachesBound) {
  // a -> b -> c: each buffer lives for two steps; the peak is two buffers.
  std::vector<BufferReq> bufs = {{1000, 16, 0, 1}, {2000, 16, 1, 2}, {1000, 16, 2, 3}};
  Placement p = placeGreedyBySize(bufs);
  EXPECT_TRUE(checkPlacement(bufs, p).isOk());
  EXPECT_EQ(lowerBound(bufs), 3008u);  // 1008 + 2000 (1000 aligned to 16)
  EXPECT_EQ(p.arena, 3008u);
}

TEST(Placement, CheckerRejectsOverlap) {
  std::vector<BufferReq> bufs = {{100, 16, 0, 2}, {100, 16, 1, 3}};
  Placement p{{0, 64}, 224};
  EXPECT_FALSE(checkPlacement(bufs, p).isOk());
  p.offsets = {0, 112};
  EXPECT_TRUE(checkPlacement(bufs, p).isOk());
}

TEST(Placement, Deterministic) {
  std::mt19937 rng(7);
  auto bufs = randomBuffers(rng, 50, 40);
  Placement a = placeGreedyBySize(bufs), b = placeGreedyBySize(bufs);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.arena, b.arena);
}

}  // namespace
}  // namespace emlc
