// Conformance runner: every ONNX backend test in Debian's libonnx-testdata
// is compiled by emlc, its generated code built with strict flags and run
// on the test's data sets, and the outputs compared with ONNX's.
//
// Flow (batched so ~1,000 tests fit in minutes on 2 cores):
//   1. compile every test in-process (inputs feeding shape-like ports are
//      frozen from the test data), write the generated sources;
//   2. build all generated sources with ninja in one go (failures isolated
//      per test), plus one driver that dispatches by model name;
//   3. run the driver once per test data set and compare outputs
//      (|got - want| <= atol + rtol * |want|; integers and bools exactly).
//      An output emlc pads to a static bound (NonMaxSuppression: its rows
//      after the selected ones are -1, see runtime/emlc/nms.h) is compared
//      on the expected rows, and every padding element must be -1.
// Each test ends as PASS, FAIL or UNSUPPORTED; the checked-in expectation
// list names every test that does not pass, with its reason, and the run
// fails if any test's status differs from the list.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "driver/compile.h"
#include "eval/evaluator.h"
#include "onnx/importer.h"
#include "onnx/onnx_pb.h"
#include "ops/op.h"
#include "support/output_dir.h"

namespace fs = std::filesystem;
using namespace emlc;

namespace {

struct Options {
  std::string data = "/usr/share/libonnx-testdata/data";
  std::string work = "conformance-work";
  std::string expected;
  std::string runtime;  // folder holding emlc/runtime.h
  std::string filter;
  std::string cxx = "g++";
  std::string cxxflags;  // extra flags for the generated code and driver (sanitizers)
  std::string update;   // write a fresh expectation list here
  int jobs = 2;
  double atol = 1e-4, rtol = 1e-4;
};

struct DataSet {
  std::vector<HostTensor> inputs;   // by model input index (non-initializer inputs)
  std::vector<HostTensor> outputs;  // expected
};

struct Unit {  // one compiled model (a test may need several: frozen inputs differ per data set)
  std::string name;                 // C identifier
  std::vector<size_t> datasets;     // indices into Test::sets
  std::vector<std::string> runtime_inputs;  // input names in Graph::inputs order
  std::set<size_t> padded_outputs;          // outputs padded to a static bound with -1 (NonMaxSuppression)
  bool built = false;
  std::string build_error;
};

struct Test {
  std::string id;  // "node/test_abs"
  std::string dir;
  std::string status;  // PASS / FAIL / UNSUPPORTED
  std::string reason;
  std::vector<std::string> input_names;
  std::vector<DataSet> sets;
  std::vector<Unit> units;
};

std::string firstLine(const std::string& s, size_t max = 240) {
  std::string r = s.substr(0, s.find('\n'));
  // Multi-line error lists: keep the first listed problem too.
  size_t nl = s.find('\n');
  if (nl != std::string::npos) {
    size_t nl2 = s.find('\n', nl + 1);
    std::string second = s.substr(nl + 1, nl2 == std::string::npos ? std::string::npos : nl2 - nl - 1);
    size_t b = second.find_first_not_of(' ');
    if (b != std::string::npos) r += " " + second.substr(b);
  }
  for (char& c : r)
    if (c == '\t' || c == '\r') c = ' ';
  if (r.size() > max) r = r.substr(0, max) + "...";
  return r;
}

Expected<HostTensor> readPb(const std::string& path) {
  onnx::TensorProto t;
  std::ifstream f(path, std::ios::binary);
  if (!f) return ioError("cannot open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  if (!t.ParseFromString(ss.str())) return invalid("cannot parse " + path);
  return tensorFromProto(t, fs::path(path).parent_path().string(), uint64_t{1} << 31);
}

bool sameData(const HostTensor& a, const HostTensor& b) {
  return a.type.dtype == b.type.dtype && a.type.shape == b.type.shape && a.data == b.data;
}

// Which model inputs feed a port that must be a compile-time constant.
std::set<std::string> shapeLikeInputs(const Graph& g) {
  std::set<std::string> names;
  for (const Node& n : g.nodes) {
    const Op* op = findOp(n.domain, n.op_type);
    if (!op) continue;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      TensorId x = n.inputs[k];
      if (x != kNoTensor && g.t(x).is_input && op->needsConstInput(n, k)) names.insert(g.t(x).name);
    }
  }
  return names;
}

Status loadTest(Test& t) {
  onnx::ModelProto m;
  EMLC_TRY(loadModelProto(t.dir + "/model.onnx", uint64_t{1} << 31, &m));
  std::set<std::string> inits;
  for (const auto& i : m.graph().initializer()) inits.insert(i.name());
  for (const auto& i : m.graph().input())
    if (!inits.count(i.name()) && !i.type().has_tensor_type())
      return unsupported(fmt::format("input '{}' is not a tensor (sequence/optional/map)", i.name()));
  for (const auto& o : m.graph().output())
    if (!o.type().has_tensor_type())
      return unsupported(fmt::format("output '{}' is not a tensor (sequence/optional/map)", o.name()));
  for (const auto& i : m.graph().input())
    if (!inits.count(i.name())) t.input_names.push_back(i.name());
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(t.dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
      dirs.push_back(e.path().string());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    DataSet ds;
    for (size_t k = 0; k < t.input_names.size(); ++k) {
      auto h = readPb(fmt::format("{}/input_{}.pb", d, k));
      if (!h) return h.error();
      ds.inputs.push_back(std::move(h.value()));
    }
    for (int k = 0; k < m.graph().output_size(); ++k) {
      auto h = readPb(fmt::format("{}/output_{}.pb", d, k));
      if (!h) return h.error();
      ds.outputs.push_back(std::move(h.value()));
    }
    t.sets.push_back(std::move(ds));
  }
  if (t.sets.empty()) return invalid("no test data sets");
  return Status::ok();
}

// Compiles the test's units into `genDir`; sets status on failure.
void compileTest(Test& t, size_t index, const std::string& genDir) {
  // Inputs with dynamic dimensions get the test data's shape, as a user
  // would give with --input-shape.
  std::set<std::string> dynamicInputs;
  {
    onnx::ModelProto m;
    if (loadModelProto(t.dir + "/model.onnx", uint64_t{1} << 31, &m).isOk())
      for (const auto& in : m.graph().input()) {
        const auto& tt = in.type().tensor_type();
        bool dyn = !tt.has_shape();
        for (const auto& d : tt.shape().dim()) dyn |= !d.has_dim_value();
        if (dyn && std::find(t.input_names.begin(), t.input_names.end(), in.name()) != t.input_names.end())
          dynamicInputs.insert(in.name());
      }
  }
  // Discover shape-like inputs from an unfrozen import.
  ImportOptions probe;
  probe.onnx_shape_check = true;
  for (size_t k = 0; k < t.input_names.size(); ++k)
    if (dynamicInputs.count(t.input_names[k])) probe.input_shapes[t.input_names[k]] = t.sets[0].inputs[k].type.shape;
  auto imported = importModelFile(t.dir + "/model.onnx", probe);
  if (!imported) {
    t.status = imported.error().kind == ErrorKind::Unsupported ? "UNSUPPORTED" : "FAIL";
    t.reason = firstLine(imported.error().message);
    return;
  }
  std::set<std::string> frozen = shapeLikeInputs(imported->graph);
  // Group data sets by the values of their frozen inputs.
  std::vector<std::vector<size_t>> groups;
  for (size_t s = 0; s < t.sets.size(); ++s) {
    bool placed = false;
    for (auto& grp : groups) {
      bool same = true;
      for (size_t k = 0; k < t.input_names.size(); ++k) {
        const HostTensor& a = t.sets[grp[0]].inputs[k];
        const HostTensor& b = t.sets[s].inputs[k];
        if (frozen.count(t.input_names[k]) ? !sameData(a, b) : a.type.shape != b.type.shape) same = false;
      }
      if (same) { grp.push_back(s); placed = true; break; }
    }
    if (!placed) groups.push_back({s});
  }
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    Unit u;
    u.name = fmt::format("t{}_{}", index, gi);
    u.datasets = groups[gi];
    CompileOptions co;
    co.model_path = t.dir + "/model.onnx";
    co.name = u.name;
    co.copy_runtime = false;
    co.import.onnx_shape_check = true;  // test models are trusted: cross-check shapes with ONNX
    for (size_t k = 0; k < t.input_names.size(); ++k) {
      const HostTensor& v = t.sets[groups[gi][0]].inputs[k];
      if (frozen.count(t.input_names[k])) co.import.frozen_inputs[t.input_names[k]] = v;
      else if (dynamicInputs.count(t.input_names[k])) co.import.input_shapes[t.input_names[k]] = v.type.shape;
    }
    auto c = compileModel(co);
    if (!c) {
      t.status = c.error().kind == ErrorKind::Unsupported ? "UNSUPPORTED" : "FAIL";
      t.reason = firstLine(c.error().message);
      return;
    }
    for (TensorId id : c->model.graph.inputs) u.runtime_inputs.push_back(c->model.graph.t(id).name);
    const Graph& cg = c->model.graph;
    for (size_t k = 0; k < cg.outputs.size(); ++k) {
      const NodeId p = cg.t(cg.outputs[k]).producer;
      if (p >= 0 && cg.n(p).op_type == "NonMaxSuppression") u.padded_outputs.insert(k);
    }
    Status st = writeOutputDir(genDir + "/" + u.name, c->files);
    if (!st) {
      t.status = "FAIL";
      t.reason = st.error().message;
      return;
    }
    t.units.push_back(std::move(u));
  }
}

void writeFileOrDie(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(2);
  }
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The driver dispatches by model name: driver NAME in.bin... -- out.bin...
std::string driverSource(const std::vector<const Unit*>& units) {
  std::string s =
      "// Generated by emlc_conformance.\n#include <cstdio>\n#include <cstdlib>\n#include <cstring>\n"
      "#include <vector>\n";
  for (const Unit* u : units) s += fmt::format("#include \"{0}/{0}.h\"\n", u->name);
  s += "namespace {\nstruct Model { const char* name; int (*run)(const void* const*, void* const*); int nin, nout;"
       " unsigned long in_bytes[64]; unsigned long out_bytes[64]; };\n"
       "const Model kModels[] = {\n";
  for (const Unit* u : units) {
    const std::string& n = u->name;
    std::string inb;
    for (size_t k = 0; k < u->runtime_inputs.size(); ++k) inb += fmt::format("{}_INPUT{}_BYTES, ", n, k);
    s += fmt::format("  {{\"{0}\", {0}_run, {0}_NUM_INPUTS, {0}_NUM_OUTPUTS, {{{1}0}}, {{EMLC_OUT_BYTES_{0}}}}},\n", n, inb);
  }
  s += "};\n}  // namespace\n";
  s += R"(
static bool readAll(const char* path, void* dst, unsigned long n) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  unsigned long got = static_cast<unsigned long>(std::fread(dst, 1, n, f));
  int extra = std::fgetc(f);
  std::fclose(f);
  return got == n && extra == EOF;
}
int main(int argc, char** argv) {
  if (argc < 2) return 3;
  const Model* m = nullptr;
  for (const Model& x : kModels) if (std::strcmp(x.name, argv[1]) == 0) m = &x;
  if (!m) { std::fprintf(stderr, "unknown model %s\n", argv[1]); return 3; }
  if (argc != 2 + m->nin + m->nout) { std::fprintf(stderr, "argument count\n"); return 3; }
  std::vector<std::vector<unsigned char>> ins(m->nin), outs(m->nout);
  std::vector<const void*> ip(m->nin > 0 ? m->nin : 1);
  std::vector<void*> op(m->nout);
  for (int k = 0; k < m->nin; ++k) {
    ins[k].resize(m->in_bytes[k] + 1);
    if (!readAll(argv[2 + k], ins[k].data(), m->in_bytes[k])) { std::fprintf(stderr, "bad input %d\n", k); return 3; }
    ip[k] = ins[k].data();
  }
  for (int k = 0; k < m->nout; ++k) { outs[k].assign(m->out_bytes[k] + 1, 0xCD); op[k] = outs[k].data(); }
  int rc = m->run(ip.data(), op.data());
  if (rc != 0) { std::fprintf(stderr, "run returned %d\n", rc); return 4; }
  for (int k = 0; k < m->nout; ++k) {
    FILE* f = std::fopen(argv[2 + m->nin + k], "wb");
    if (!f) return 3;
    std::fwrite(outs[k].data(), 1, m->out_bytes[k], f);
    std::fclose(f);
  }
  return 0;
}
)";
  return s;
}

std::string outBytesMacros(const std::vector<const Unit*>& units, const std::map<std::string, size_t>& nouts) {
  std::string s;
  for (const Unit* u : units) {
    std::string v;
    for (size_t k = 0; k < nouts.at(u->name); ++k) v += fmt::format("{}_OUTPUT{}_BYTES, ", u->name, k);
    s += fmt::format("#define EMLC_OUT_BYTES_{} {}0\n", u->name, v);
  }
  return s;
}

bool compareOutput(const HostTensor& want, const std::string& gotBytes, double atol, double rtol, std::string* why) {
  if (gotBytes.size() != want.data.size()) {
    *why = fmt::format("output has {} bytes, expected {}", gotBytes.size(), want.data.size());
    return false;
  }
  const int64_t n = want.type.numel();
  auto fail = [&](int64_t i, double g, double w) {
    *why = fmt::format("element {} of {}: got {:.9g}, expected {:.9g}", i, n, g, w);
    return false;
  };
  switch (want.type.dtype) {
    case DType::F32: case DType::F64: {
      for (int64_t i = 0; i < n; ++i) {
        double g, w;
        if (want.type.dtype == DType::F32) {
          float gf, wf;
          std::memcpy(&gf, gotBytes.data() + 4 * i, 4);
          std::memcpy(&wf, want.data.data() + 4 * i, 4);
          g = gf; w = wf;
        } else {
          std::memcpy(&g, gotBytes.data() + 8 * i, 8);
          std::memcpy(&w, want.data.data() + 8 * i, 8);
        }
        if (std::isnan(w) && std::isnan(g)) continue;
        if (std::isinf(w) && g == w) continue;
        if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w))) return fail(i, g, w);
      }
      return true;
    }
    default:
      if (!want.data.empty() && std::memcmp(gotBytes.data(), want.data.data(), want.data.size()) != 0) {
        size_t es = dtypeSize(want.type.dtype);
        for (int64_t i = 0; i < n; ++i)
          if (std::memcmp(gotBytes.data() + es * i, want.data.data() + es * i, es) != 0) {
            int64_t g = 0, w = 0;
            std::memcpy(&g, gotBytes.data() + es * i, std::min<size_t>(es, 8));
            std::memcpy(&w, want.data.data() + es * i, std::min<size_t>(es, 8));
            return fail(i, static_cast<double>(g), static_cast<double>(w));
          }
      }
      return true;
  }
}

std::map<std::string, std::pair<std::string, std::string>> readExpected(const std::string& path) {
  std::map<std::string, std::pair<std::string, std::string>> m;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string id, status;
    ss >> id >> status;
    std::string reason;
    std::getline(ss, reason);
    size_t b = reason.find_first_not_of(' ');
    m[id] = {status, b == std::string::npos ? "" : reason.substr(b)};
  }
  return m;
}

int usage() {
  std::fprintf(stderr,
               "usage: emlc_conformance --runtime DIR [--data DIR] [--work DIR] [--expected FILE] [--filter REGEX]\n"
               "                        [--jobs N] [--cxx g++] [--cxxflags FLAGS] [--update FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--data") o.data = next();
    else if (a == "--work") o.work = next();
    else if (a == "--expected") o.expected = next();
    else if (a == "--runtime") o.runtime = next();
    else if (a == "--filter") o.filter = next();
    else if (a == "--cxx") o.cxx = next();
    else if (a == "--cxxflags") o.cxxflags = next();
    else if (a == "--update") o.update = next();
    else if (a == "--jobs") o.jobs = std::atoi(next().c_str());
    else return usage();
  }
  if (o.runtime.empty() || !fs::exists(o.runtime + "/emlc/runtime.h")) return usage();
  if (!fs::exists(o.data)) {
    std::fprintf(stderr, "conformance: test data folder %s not found (install libonnx-testdata)\n", o.data.c_str());
    return 2;
  }
  std::regex filter(o.filter.empty() ? ".*" : o.filter);
  fs::remove_all(o.work);
  const std::string gen = o.work + "/gen", io = o.work + "/io";
  fs::create_directories(gen);
  fs::create_directories(io);

  // 1. Load and compile every test.
  std::vector<Test> tests;
  for (const char* sub : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    std::vector<std::string> names;
    if (!fs::is_directory(o.data + "/" + sub)) continue;  // other test sets (tests/rnn) have only some folders
    for (const auto& e : fs::directory_iterator(o.data + "/" + sub))
      if (fs::exists(e.path() / "model.onnx")) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      Test t;
      t.id = std::string(sub) + "/" + n;
      t.dir = o.data + "/" + sub + "/" + n;
      if (std::regex_search(t.id, filter)) tests.push_back(std::move(t));
    }
  }
  std::printf("conformance: %zu tests\n", tests.size());
  std::fflush(stdout);
  std::map<std::string, size_t> nouts;
  std::vector<const Unit*> units;
  for (size_t i = 0; i < tests.size(); ++i) {
    Test& t = tests[i];
    Status st = loadTest(t);
    if (!st) {
      t.status = st.error().kind == ErrorKind::Unsupported ? "UNSUPPORTED" : "FAIL";
      t.reason = "test data: " + firstLine(st.error().message);
      continue;
    }
    compileTest(t, i, gen);
    if (!t.status.empty()) continue;
    for (const Unit& u : t.units) {
      nouts[u.name] = t.sets[0].outputs.size();
      units.push_back(&u);
    }
  }

  // 2. Build: one object per generated source, failures isolated per unit.
  const std::string flags = "-std=c++17 -O1 -Wall -Wextra -Werror -fno-exceptions -fno-rtti " + o.cxxflags;
  std::string nj = fmt::format(
      "rule cxx\n  command = {0} {1} -I{2} -c $in -o $out > $out.log 2>&1 || (rm -f $out; exit 1)\n"
      "rule link\n  command = {0} {3} $in -o $out -lm\n",
      o.cxx, flags, fs::absolute(o.runtime).string(), o.cxxflags);
  for (const Unit* u : units)
    for (const char* f : {"", "_weights"})
      nj += fmt::format("build gen/{0}/{0}{1}.o: cxx gen/{0}/{0}{1}.cpp\n", u->name, f);
  writeFileOrDie(o.work + "/build.ninja", nj);
  std::printf("conformance: building %zu generated models\n", units.size());
  std::fflush(stdout);
  std::string cmd = fmt::format("ninja -C {} -k 0 -j {} > {}/ninja.log 2>&1", o.work, o.jobs, o.work);
  (void)std::system(cmd.c_str());
  std::vector<const Unit*> good;
  for (Test& t : tests)
    for (Unit& u : t.units) {
      bool ok = true;
      for (const char* f : {"", "_weights"}) {
        std::string obj = fmt::format("{}/{}/{}{}.o", gen, u.name, u.name, f);
        if (!fs::exists(obj)) {
          ok = false;
          u.build_error = firstLine(readFile(obj + ".log"), 400);
        }
      }
      u.built = ok;
      if (ok) good.push_back(&u);
    }
  writeFileOrDie(o.work + "/driver.cpp", outBytesMacros(good, nouts) + driverSource(good));
  std::string link = fmt::format("cd {} && {} -std=c++17 -O1 {} -I gen -c driver.cpp -o driver.o > driver.log 2>&1", o.work, o.cxx,
                                 o.cxxflags);
  if (std::system(link.c_str()) != 0) {
    std::fprintf(stderr, "conformance: the driver does not build; see %s/driver.log\n", o.work.c_str());
    return 2;
  }
  std::string objs = "driver.o";
  for (const Unit* u : good) objs += fmt::format(" gen/{0}/{0}.o gen/{0}/{0}_weights.o", u->name);
  writeFileOrDie(o.work + "/link.rsp", objs);
  link = fmt::format("cd {} && {} {} @link.rsp -o driver -lm > link.log 2>&1", o.work, o.cxx, o.cxxflags);
  if (std::system(link.c_str()) != 0) {
    std::fprintf(stderr, "conformance: linking failed; see %s/link.log\n", o.work.c_str());
    return 2;
  }

  // 3. Run and compare.
  std::map<std::string, int> counts;
  int sanitizer_reports = 0;
  for (Test& t : tests) {
    if (t.status.empty()) {
      t.status = "PASS";
      for (const Unit& u : t.units) {
        if (!u.built) {
          t.status = "FAIL";
          t.reason = "generated code does not build: " + u.build_error;
          break;
        }
        for (size_t s : u.datasets) {
          const DataSet& ds = t.sets[s];
          std::string args;
          for (const std::string& rin : u.runtime_inputs) {
            size_t k = static_cast<size_t>(
                std::find(t.input_names.begin(), t.input_names.end(), rin) - t.input_names.begin());
            std::string p = fmt::format("{}/{}_{}_in{}.bin", io, u.name, s, k);
            writeFileOrDie(p, std::string(ds.inputs[k].data.begin(), ds.inputs[k].data.end()));
            args += " " + p;
          }
          for (size_t k = 0; k < ds.outputs.size(); ++k) args += fmt::format(" {}/{}_{}_out{}.bin", io, u.name, s, k);
          std::string run = fmt::format("timeout 20 {}/driver {}{} 2> {}/{}_{}.err", o.work, u.name, args, io, u.name, s);
          int rc = std::system(run.c_str());
          // A sanitizer report (generated code built with --cxxflags
          // -fsanitize=...) fails the run even where the test is expected
          // to fail for another reason.
          const std::string err = readFile(fmt::format("{}/{}_{}.err", io, u.name, s));
          size_t at = std::min(err.find("Sanitizer"), err.find("runtime error:"));
          if (at != std::string::npos) {
            ++sanitizer_reports;
            at = err.rfind('\n', at);
            std::printf("SANITIZER   %s: %s\n", t.id.c_str(),
                        firstLine(err.substr(at == std::string::npos ? 0 : at + 1), 400).c_str());
          }
          if (rc != 0) {
            t.status = "FAIL";
            t.reason = fmt::format("generated code exited with status {}: {}", rc,
                                   firstLine(readFile(fmt::format("{}/{}_{}.err", io, u.name, s))));
            break;
          }
          for (size_t k = 0; k < ds.outputs.size(); ++k) {
            std::string got = readFile(fmt::format("{}/{}_{}_out{}.bin", io, u.name, s, k));
            std::string why;
            if (u.padded_outputs.count(k) && got.size() > ds.outputs[k].data.size()) {
              const std::string pad = got.substr(ds.outputs[k].data.size());
              if (pad.find_first_not_of('\xff') != std::string::npos) {
                t.status = "FAIL";
                t.reason = fmt::format("data set {} output {}: padding after the expected rows is not -1", s, k);
                break;
              }
              got.resize(ds.outputs[k].data.size());
            }
            if (!compareOutput(ds.outputs[k], got, o.atol, o.rtol, &why)) {
              t.status = "FAIL";
              t.reason = fmt::format("data set {} output {}: {}", s, k, why);
              break;
            }
          }
          if (t.status != "PASS") break;
        }
        if (t.status != "PASS") break;
      }
    }
    counts[t.status]++;
    std::printf("%-11s %s%s%s\n", t.status.c_str(), t.id.c_str(), t.reason.empty() ? "" : "  ", t.reason.c_str());
  }

  // 4. Compare with the expectation list.
  int unexpected = 0;
  if (!o.expected.empty()) {
    auto exp = readExpected(o.expected);
    for (const Test& t : tests) {
      auto it = exp.find(t.id);
      std::string want = it == exp.end() ? "PASS" : it->second.first;
      if (want != t.status) {
        ++unexpected;
        std::printf("UNEXPECTED  %s: expected %s, got %s%s%s\n", t.id.c_str(), want.c_str(), t.status.c_str(),
                    t.reason.empty() ? "" : ": ", t.reason.c_str());
      }
    }
  }
  if (!o.update.empty()) {
    std::string s =
        "# Backend tests that are expected not to pass, with the reason (emlc_conformance --update).\n"
        "# Format: <test> <UNSUPPORTED|FAIL> <reason>. Every test not listed must PASS.\n";
    for (const Test& t : tests)
      if (t.status != "PASS") s += t.id + " " + t.status + " " + t.reason + "\n";
    writeFileOrDie(o.update, s);
  }
  std::printf("conformance: %d passed, %d unsupported, %d failed, of %zu tests; %d differ from the expectation list\n",
              counts["PASS"], counts["UNSUPPORTED"], counts["FAIL"], tests.size(), unexpected);
  if (sanitizer_reports) std::printf("conformance: %d runs with a sanitizer report\n", sanitizer_reports);
  return unexpected == 0 && sanitizer_reports == 0 ? 0 : 1;
}
