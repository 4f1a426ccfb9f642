// gpunb-agent must run on any glibc: a static ELF with no program interpreter.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::vector<char> read_binary(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

TEST(AgentStatic, HasNoProgramInterpreterAndNoDynamicSection) {
  std::vector<char> elf = read_binary(GPUNB_AGENT_EXE);
  ASSERT_GE(elf.size(), sizeof(Elf64_Ehdr));
  Elf64_Ehdr header{};
  std::memcpy(&header, elf.data(), sizeof header);
  ASSERT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0);
  ASSERT_EQ(header.e_ident[EI_CLASS], ELFCLASS64);
  for (size_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr ph{};
    size_t offset = header.e_phoff + i * header.e_phentsize;
    ASSERT_LE(offset + sizeof ph, elf.size());
    std::memcpy(&ph, elf.data() + offset, sizeof ph);
    EXPECT_NE(ph.p_type, static_cast<Elf64_Word>(PT_INTERP)) << "gpunb-agent is dynamic";
    EXPECT_NE(ph.p_type, static_cast<Elf64_Word>(PT_DYNAMIC)) << "gpunb-agent is dynamic";
  }
}

TEST(AgentStatic, LddAgrees) {
  std::string command =
      std::string("ldd ") + GPUNB_AGENT_EXE + " 2>&1 | grep -q 'not a dynamic executable'";
  EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
