#include "cli/commands.hpp"

namespace gpunb::cli {

CLI::App* CommandTable::add(CLI::App& parent, const std::string& name,
                            const std::string& description, Action action) {
  auto* command = parent.add_subcommand(name, description);
  commands_.emplace_back(command, std::move(action));
  return command;
}

const Action* CommandTable::chosen() const {
  for (const auto& [command, action] : commands_) {
    if (command->parsed()) return &action;
  }
  return nullptr;
}

}  // namespace gpunb::cli
