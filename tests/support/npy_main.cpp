// Generic host driver for a generated model (tests and examples):
//   model_main in0.npy ... out0.npy ...
// Reads float32 .npy inputs, calls NAME_run_f32, writes float32 .npy outputs.
// Build with -DEMLC_MODEL=<name> -DEMLC_MODEL_HEADER='"<name>.h"'.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include EMLC_MODEL_HEADER

#define EMLC_CAT2(a, b) a##b
#define EMLC_CAT(a, b) EMLC_CAT2(a, b)
#define MODEL_FN(suffix) EMLC_CAT(EMLC_MODEL, suffix)

namespace {

bool readNpyF32(const char* path, std::vector<float>& out, size_t expect) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  unsigned char pre[10];
  bool ok = std::fread(pre, 1, 10, f) == 10 && std::memcmp(pre, "\x93NUMPY", 6) == 0 && pre[6] == 1;
  size_t hlen = ok ? (pre[8] | (pre[9] << 8)) : 0;
  std::string h(hlen, '\0');
  ok = ok && std::fread(&h[0], 1, hlen, f) == hlen && h.find("'<f4'") != std::string::npos &&
       h.find("False") != std::string::npos;
  out.assign(expect, 0.0f);
  ok = ok && std::fread(out.data(), 4, expect, f) == expect && std::fgetc(f) == EOF;
  std::fclose(f);
  return ok;
}

bool writeNpyF32(const char* path, const std::vector<float>& v) {
  FILE* f = std::fopen(path, "wb");
  if (!f) return false;
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(v.size()) + ",), }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(h.size() & 0xff),
                           static_cast<unsigned char>(h.size() >> 8)};
  bool ok = std::fwrite(pre, 1, 10, f) == 10 && std::fwrite(h.data(), 1, h.size(), f) == h.size() &&
            std::fwrite(v.data(), 4, v.size(), f) == v.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  const int nin = MODEL_FN(_NUM_INPUTS), nout = MODEL_FN(_NUM_OUTPUTS);
  if (argc != 1 + nin + nout) {
    std::fprintf(stderr, "usage: %s <%d input .npy> <%d output .npy>\n", argv[0], nin, nout);
    return 2;
  }
  std::vector<std::vector<float>> in(static_cast<size_t>(nin)), out(static_cast<size_t>(nout));
  std::vector<const float*> ip;
  std::vector<float*> op;
  for (int k = 0; k < nin; ++k) {
    if (!readNpyF32(argv[1 + k], in[k], MODEL_FN(_input_size)(k))) {
      std::fprintf(stderr, "%s: not a float32 .npy with %zu values\n", argv[1 + k], MODEL_FN(_input_size)(k));
      return 2;
    }
    ip.push_back(in[k].data());
  }
  for (int k = 0; k < nout; ++k) {
    out[k].assign(MODEL_FN(_output_size)(k), 0.0f);
    op.push_back(out[k].data());
  }
  int rc = MODEL_FN(_run_f32)(ip.data(), op.data());
  if (rc != 0) {
    std::fprintf(stderr, "run returned %d\n", rc);
    return 3;
  }
  for (int k = 0; k < nout; ++k)
    if (!writeNpyF32(argv[1 + nin + k], out[k])) return 2;
  return 0;
}
