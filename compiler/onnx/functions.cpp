#include "onnx/functions.h"

#include <fmt/format.h>

#include <set>

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

namespace emlc {

namespace {

constexpr int kMaxDepth = 16;

std::string normDomain(const std::string& d) { return d == "ai.onnx" ? std::string() : d; }

std::string nodeWhere(const onnx::NodeProto& n, size_t index) {
  return n.name().empty() ? fmt::format("node #{} ({})", index, n.op_type())
                          : fmt::format("node '{}' ({})", n.name(), n.op_type());
}

// A function to expand: its body and the versions its body nodes use.
struct Body {
  onnx::FunctionProto proto;
  std::map<std::string, int> opsets;
  std::map<std::string, const onnx::AttributeProto*> defaults;  // standard functions: schema defaults
  std::string key;                                              // "domain::name", for recursion checks
};

class Inliner {
 public:
  Inliner(const onnx::ModelProto& m, const std::map<std::string, int>& opsets,
          const std::function<bool(const std::string&, const std::string&)>& native,
          const std::map<std::string, onnx::TypeProto>& types)
      : model_(m), opsets_(opsets), native_(native), types_(types) {
    for (const auto& f : m.functions()) local_[normDomain(f.domain()) + "::" + f.name()] = &f;
    const auto& g = m.graph();
    for (const auto& x : g.input()) used_.insert(x.name());
    for (const auto& x : g.output()) used_.insert(x.name());
    for (const auto& x : g.initializer()) used_.insert(x.name());
    for (const auto& n : g.node())
      for (const auto& o : n.output()) used_.insert(o);
  }

  Expected<FlatGraph> run() {
    FlatGraph out;
    for (int i = 0; i < model_.graph().node_size(); ++i) {
      const onnx::NodeProto& n = model_.graph().node(i);
      EMLC_TRY(emit(n, nullptr, opsets_, 0, nodeWhere(n, static_cast<size_t>(i)), out));
    }
    out.inlined_calls = calls_;
    return out;
  }

 private:
  // Appends `n` to the flat graph, or its body if it calls a function.
  // `owned` is set when `n` lives in out.storage (inlined) rather than the model.
  Status emit(const onnx::NodeProto& n, std::unique_ptr<onnx::NodeProto> owned, const std::map<std::string, int>& scope,
              int depth, const std::string& where, FlatGraph& out) {
    const std::string domain = normDomain(n.domain());
    auto ver = scope.find(domain);
    if (ver == scope.end())
      return invalid(fmt::format("{}: domain '{}' is not imported{}", where, n.domain(),
                                 depth ? " by the function that uses it" : " by the model"));
    EMLC_ASSIGN(std::optional<Body> body, bodyOf(n, domain, ver->second, where));
    if (!body) {
      FlatNode f;
      f.node = owned ? owned.get() : &n;
      f.opset = ver->second;
      f.where = where;
      if (owned) out.storage.push_back(std::move(owned));
      out.nodes.push_back(std::move(f));
      return Status::ok();
    }
    if (depth >= kMaxDepth)
      return invalid(fmt::format("{}: functions nest deeper than {} levels", where, kMaxDepth));
    for (const std::string& k : active_)
      if (k == body->key) return invalid(fmt::format("{}: function '{}' calls itself", where, n.op_type()));
    active_.push_back(body->key);
    ++calls_;
    Status st = expand(n, *body, depth, where, out);
    active_.pop_back();
    return st;
  }

  // The body to inline for `n`, if any.
  Expected<std::optional<Body>> bodyOf(const onnx::NodeProto& n, const std::string& domain, int version,
                                       const std::string& where) {
    auto lf = local_.find(domain + "::" + n.op_type());
    if (lf != local_.end()) {
      Body b;
      b.proto = *lf->second;
      b.key = lf->first;
      b.opsets = opsets_;  // a local function may rely on the model's imports
      for (const auto& o : b.proto.opset_import()) b.opsets[normDomain(o.domain())] = static_cast<int>(o.version());
      return std::optional<Body>(std::move(b));
    }
    if (!domain.empty() || n.op_type() == "Constant" || native_(domain, n.op_type())) return std::optional<Body>();
    const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(n.op_type(), version, "");
    if (!schema || (!schema->HasFunction() && !schema->HasContextDependentFunction())) return std::optional<Body>();
    Body b;
    b.key = "::" + n.op_type();
    try {
      if (schema->HasFunction()) {
        b.proto = *schema->GetFunction();
      } else {
        std::vector<onnx::TypeProto> inTypes;
        for (const auto& in : n.input()) {
          auto it = types_.find(in);
          inTypes.push_back(it == types_.end() ? onnx::TypeProto() : it->second);
        }
        onnx::FunctionBodyBuildContextImpl ctx(n, inTypes);
        if (!schema->BuildContextDependentFunction(ctx, b.proto)) return std::optional<Body>();
      }
    } catch (const std::exception& e) {
      return invalid(fmt::format("{}: ONNX could not build the function body of {}: {}", where, n.op_type(), e.what()));
    }
    // Inline only bodies emlc can compile: otherwise keep the call, so the
    // error names the op the user wrote rather than a body node.
    for (const auto& bn : b.proto.node()) {
      if (!normDomain(bn.domain()).empty() || bn.op_type() == "Constant" || native_("", bn.op_type())) continue;
      const onnx::OpSchema* inner = onnx::OpSchemaRegistry::Schema(bn.op_type(), schema->SinceVersion(), "");
      if (!inner || (!inner->HasFunction() && !inner->HasContextDependentFunction())) return std::optional<Body>();
    }
    b.opsets = opsets_;
    b.opsets[""] = schema->SinceVersion();
    for (const auto& o : b.proto.opset_import()) b.opsets[normDomain(o.domain())] = static_cast<int>(o.version());
    for (const auto& kv : schema->attributes())
      if (kv.second.default_value.type() != onnx::AttributeProto::UNDEFINED)
        b.defaults[kv.first] = &kv.second.default_value;
    return std::optional<Body>(std::move(b));
  }

  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int i = 1; used_.count(name); ++i) name = fmt::format("{}_{}", base, i);
    used_.insert(name);
    return name;
  }

  Status expand(const onnx::NodeProto& call, const Body& body, int depth, const std::string& where, FlatGraph& out) {
    const onnx::FunctionProto& fp = body.proto;
    const std::string prefix =
        call.name().empty() ? fresh(fmt::format("{}_call", fp.name().empty() ? call.op_type() : fp.name())) : call.name();
    std::map<std::string, std::string> rename;
    for (int i = 0; i < fp.input_size(); ++i) rename[fp.input(i)] = i < call.input_size() ? call.input(i) : "";
    for (int i = 0; i < fp.output_size(); ++i) {
      const std::string actual = i < call.output_size() ? call.output(i) : "";
      rename[fp.output(i)] = actual.empty() ? fresh(prefix + "/" + fp.output(i)) : actual;
    }
    std::map<std::string, const onnx::AttributeProto*> attrs = body.defaults;
    for (const auto& a : call.attribute()) attrs[a.name()] = &a;
    auto mapName = [&](const std::string& s) -> std::string {
      if (s.empty()) return s;
      auto it = rename.find(s);
      if (it != rename.end()) return it->second;
      return rename[s] = fresh(prefix + "/" + s);
    };
    for (int i = 0; i < fp.node_size(); ++i) {
      const onnx::NodeProto& b = fp.node(i);
      auto nb = std::make_unique<onnx::NodeProto>();
      nb->set_op_type(b.op_type());
      nb->set_domain(b.domain());
      nb->set_name(prefix + "/" + (b.name().empty() ? fmt::format("{}_{}", b.op_type(), i) : b.name()));
      for (const auto& s : b.input()) nb->add_input(mapName(s));
      for (const auto& s : b.output()) nb->add_output(mapName(s));
      for (const auto& a : b.attribute()) {
        if (a.ref_attr_name().empty()) {
          *nb->add_attribute() = a;
          continue;
        }
        auto it = attrs.find(a.ref_attr_name());
        if (it == attrs.end()) continue;  // not given in the call: the body node's default applies
        onnx::AttributeProto* c = nb->add_attribute();
        *c = *it->second;
        c->set_name(a.name());
      }
      const std::string inner = fmt::format("{} in function {} ({})", nodeWhere(b, static_cast<size_t>(i)),
                                            fp.name().empty() ? call.op_type() : fp.name(), where);
      const onnx::NodeProto& ref = *nb;
      EMLC_TRY(emit(ref, std::move(nb), body.opsets, depth + 1, inner, out));
    }
    return Status::ok();
  }

  const onnx::ModelProto& model_;
  const std::map<std::string, int>& opsets_;
  const std::function<bool(const std::string&, const std::string&)>& native_;
  const std::map<std::string, onnx::TypeProto>& types_;
  std::map<std::string, const onnx::FunctionProto*> local_;
  std::set<std::string> used_;
  std::vector<std::string> active_;
  int calls_ = 0;
};

}  // namespace

Status checkFunctionRecursion(const onnx::ModelProto& model) {
  // Call graph between local functions; a cycle is found by iterative DFS
  // with colours (0 unseen, 1 on the stack, 2 done).
  std::map<std::string, size_t> index;
  for (int i = 0; i < model.functions_size(); ++i)
    index[normDomain(model.functions(i).domain()) + "::" + model.functions(i).name()] = static_cast<size_t>(i);
  std::vector<std::vector<size_t>> calls(index.size());
  for (int i = 0; i < model.functions_size(); ++i)
    for (const auto& n : model.functions(i).node()) {
      auto it = index.find(normDomain(n.domain()) + "::" + n.op_type());
      if (it != index.end()) calls[static_cast<size_t>(i)].push_back(it->second);
    }
  std::vector<int> colour(calls.size(), 0);
  for (size_t root = 0; root < calls.size(); ++root) {
    if (colour[root]) continue;
    std::vector<std::pair<size_t, size_t>> stack = {{root, 0}};
    colour[root] = 1;
    while (!stack.empty()) {
      auto& [f, next] = stack.back();
      if (next == calls[f].size()) {
        colour[f] = 2;
        stack.pop_back();
        continue;
      }
      const size_t callee = calls[f][next++];
      if (colour[callee] == 1)
        return invalid(fmt::format("function '{}' calls itself (directly or through other functions); recursive "
                                   "functions cannot be inlined",
                                   model.functions(static_cast<int>(callee)).name()));
      if (colour[callee] == 0) {
        colour[callee] = 1;
        stack.emplace_back(callee, 0);
      }
    }
  }
  return Status::ok();
}

Expected<FlatGraph> inlineFunctions(const onnx::ModelProto& model, const std::map<std::string, int>& opsets,
                                    const std::function<bool(const std::string& domain, const std::string& op_type)>& native,
                                    const std::map<std::string, onnx::TypeProto>& types) {
  Inliner in(model, opsets, native, types);
  return in.run();
}

}  // namespace emlc
