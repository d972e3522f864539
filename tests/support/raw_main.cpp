// Raw-bytes host driver for a generated model (int8 bit-exactness tests):
//   raw_main [--f32] in0.bin ... out0.bin ...
// Native mode reads each input's NAME_input_bytes(i) bytes, calls NAME_run
// and writes each output's NAME_output_bytes(i) bytes. --f32 reads and
// writes float32 values (NAME_input_size(i) / NAME_output_size(i) of them)
// through NAME_run_f32. Build with -DEMLC_MODEL=<name>
// -DEMLC_MODEL_HEADER='"<name>.h"'. Exit status 0 on success.
#include <cstdio>
#include <cstring>
#include <vector>

#include EMLC_MODEL_HEADER

#define EMLC_CAT2(a, b) a##b
#define EMLC_CAT(a, b) EMLC_CAT2(a, b)
#define MODEL_FN(suffix) EMLC_CAT(EMLC_MODEL, suffix)

namespace {

bool readFile(const char* path, std::vector<unsigned char>& out, size_t bytes) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  out.assign(bytes, 0);
  const bool ok = std::fread(out.data(), 1, bytes, f) == bytes && std::fgetc(f) == EOF;
  std::fclose(f);
  return ok;
}

bool writeFile(const char* path, const std::vector<unsigned char>& v) {
  FILE* f = std::fopen(path, "wb");
  if (!f) return false;
  const bool ok = std::fwrite(v.data(), 1, v.size(), f) == v.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  int a = 1;
  const bool f32 = argc > 1 && std::strcmp(argv[1], "--f32") == 0;
  if (f32) ++a;
  const int nin = MODEL_FN(_NUM_INPUTS), nout = MODEL_FN(_NUM_OUTPUTS);
  if (argc - a != nin + nout) {
    std::fprintf(stderr, "usage: %s [--f32] in0.bin ... out0.bin ... (%d inputs, %d outputs)\n", argv[0], nin, nout);
    return 2;
  }
  std::vector<std::vector<unsigned char>> ins(nin > 0 ? nin : 1), outs(nout > 0 ? nout : 1);
  std::vector<const void*> ip(nin > 0 ? nin : 1, nullptr);
  std::vector<void*> op(nout > 0 ? nout : 1, nullptr);
  for (int k = 0; k < nin; ++k) {
    const size_t bytes = f32 ? MODEL_FN(_input_size)(k) * 4 : MODEL_FN(_input_bytes)(k);
    if (!readFile(argv[a + k], ins[k], bytes)) {
      std::fprintf(stderr, "cannot read %zu bytes from %s\n", bytes, argv[a + k]);
      return 2;
    }
    ip[k] = ins[k].data();
  }
  for (int k = 0; k < nout; ++k) {
    outs[k].assign(f32 ? MODEL_FN(_output_size)(k) * 4 : MODEL_FN(_output_bytes)(k), 0xAB);
    op[k] = outs[k].data();
  }
  int rc;
  if (f32) {
    std::vector<const float*> fi(ip.size());
    std::vector<float*> fo(op.size());
    for (size_t k = 0; k < ip.size(); ++k) fi[k] = static_cast<const float*>(ip[k]);
    for (size_t k = 0; k < op.size(); ++k) fo[k] = static_cast<float*>(op[k]);
    rc = MODEL_FN(_run_f32)(fi.data(), fo.data());
  } else {
    rc = MODEL_FN(_run)(ip.data(), op.data());
  }
  if (rc != 0) {
    std::fprintf(stderr, "run returned %d\n", rc);
    return 1;
  }
  for (int k = 0; k < nout; ++k)
    if (!writeFile(argv[a + nin + k], outs[k])) return 2;
  return 0;
}
