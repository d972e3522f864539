// Accuracy of the generated digits model on the digits test set.
// data/digits_test_x_u16.npy holds the 360 test images as uint16 counts of
// 1/256 (the float images exactly: every pixel is a multiple of 1/256),
// data/digits_test_y.npy the labels (uint8).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "digits.h"

namespace {

// Reads a C-order .npy file of the given dtype; returns the payload bytes.
bool readNpy(const std::string& path, const char* descr, std::vector<uint8_t>* data) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  if (s.size() < 10 || s.compare(0, 6, "\x93NUMPY") != 0) return false;
  const size_t hlen = static_cast<uint8_t>(s[8]) | static_cast<size_t>(static_cast<uint8_t>(s[9])) << 8;
  const std::string header = s.substr(10, hlen);
  if (header.find(std::string("'descr': '") + descr + "'") == std::string::npos) return false;
  data->assign(s.begin() + static_cast<long>(10 + hlen), s.end());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : DIGITS_DATA_DIR;
  std::vector<uint8_t> x, y;
  if (!readNpy(dir + "/digits_test_x_u16.npy", "<u2", &x) || !readNpy(dir + "/digits_test_y.npy", "|u1", &y)) {
    std::fprintf(stderr, "cannot read the test set in %s\n", dir.c_str());
    return 2;
  }
  const size_t n = y.size(), pixels = digits_INPUT0_SIZE;
  if (x.size() != n * pixels * 2) {
    std::fprintf(stderr, "test set size mismatch\n");
    return 2;
  }
  size_t correct = 0;
  std::vector<float> image(pixels);
  float logits[digits_OUTPUT0_SIZE];
  for (size_t i = 0; i < n; ++i) {
    for (size_t p = 0; p < pixels; ++p) {
      uint16_t v;
      std::memcpy(&v, &x[(i * pixels + p) * 2], 2);
      image[p] = static_cast<float>(v) / 256.0f;
    }
    const float* in[1] = {image.data()};
    float* out[1] = {logits};
    if (digits_run_f32(in, out) != 0) return 3;
    size_t best = 0;
    for (size_t k = 1; k < digits_OUTPUT0_SIZE; ++k)
      if (logits[k] > logits[best]) best = k;
    correct += best == y[i];
  }
  std::printf("digits model (arena %u bytes): test-set accuracy %zu/%zu = %.2f%%\n",
              static_cast<unsigned>(digits_ARENA_SIZE), correct, n, 100.0 * static_cast<double>(correct) / static_cast<double>(n));
  return 0;
}
