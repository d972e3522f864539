#pragma once
#include "passes/pass.h"

namespace emlc {

class DeadCodePass final : public Pass {
 public:
  const char* name() const override { return "dead-code"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
