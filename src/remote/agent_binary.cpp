#include "remote/agent_binary.hpp"

#include "base/files.hpp"
#include "base/hash.hpp"
#include "base/strings.hpp"
#include "util/platform.hpp"

namespace gpunb::remote {

core::Result<AgentBinary> agent_binary_at(const std::filesystem::path& path) {
  auto content = base::read_file(path);
  if (!content) {
    return core::fail(core::ErrorKind::not_found, "agent binary not found: " + path.string(),
                      "build the gpunb-agent target, or point GPUNB_AGENT at it");
  }
  if (content->size() < 4 || content->compare(0, 4,
                                              "\x7f"
                                              "ELF") != 0) {
    return core::fail(core::ErrorKind::usage, "not an executable: " + path.string());
  }
  return AgentBinary{path, base::hex(base::sha256(*content)).substr(0, 16)};
}

core::Result<AgentBinary> find_agent_binary(const util::Env& env) {
  if (auto path = env.get("GPUNB_AGENT"); path && !path->empty()) return agent_binary_at(*path);
  auto self = util::platform::executable_path();
  if (!self) {
    return core::fail(core::ErrorKind::internal, "cannot tell where gpunb itself is",
                      "point GPUNB_AGENT at the gpunb-agent binary");
  }
  return agent_binary_at(self->parent_path() / "gpunb-agent");
}

}  // namespace gpunb::remote
