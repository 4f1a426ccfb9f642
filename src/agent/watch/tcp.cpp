#include "agent/watch/tcp.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/host/files.hpp"
#include "base/files.hpp"

namespace gpunb::agent {
namespace {

constexpr unsigned kListen = 10, kEstablished = 1;  // TCP_LISTEN, TCP_ESTABLISHED

class Netlink {
 public:
  Netlink() : fd_(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) {}
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;
  ~Netlink() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool send_request(const Netlink& nl, int family) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = static_cast<std::uint8_t>(family);
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = (1U << kListen) | (1U << kEstablished);
  message.request.idiag_ext = 1U << (INET_DIAG_INFO - 1);
  return ::send(nl.fd(), &message, sizeof message, 0) == static_cast<ssize_t>(sizeof message);
}

bool is_loopback(const inet_diag_msg& msg, const std::uint32_t* address) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(address);
  if (msg.idiag_family == AF_INET) return bytes[0] == 127;
  static const std::array<std::uint8_t, 16> v6_loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                        0, 0, 0, 0, 0, 0, 0, 1};
  if (std::memcmp(bytes, v6_loopback.data(), 16) == 0) return true;
  static const std::array<std::uint8_t, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes, mapped.data(), 12) == 0 && bytes[12] == 127;
}

TcpSocket socket_of(const nlmsghdr* header) {
  const auto* msg = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
  TcpSocket out;
  out.cookie = (std::uint64_t{msg->id.idiag_cookie[1]} << 32) | msg->id.idiag_cookie[0];
  out.local_port = ntohs(msg->id.idiag_sport);
  out.remote_port = ntohs(msg->id.idiag_dport);
  out.listening = msg->idiag_state == kListen;
  out.loopback = is_loopback(*msg, msg->id.idiag_src) && is_loopback(*msg, msg->id.idiag_dst);
  int left = static_cast<int>(header->nlmsg_len - NLMSG_LENGTH(sizeof *msg));
  for (const auto* attr = reinterpret_cast<const rtattr*>(msg + 1); RTA_OK(attr, left);
       attr = RTA_NEXT(attr, left)) {
    if (attr->rta_type != INET_DIAG_INFO) continue;
    tcp_info info{};
    std::memcpy(&info, RTA_DATA(attr), std::min<size_t>(RTA_PAYLOAD(attr), sizeof info));
    out.bytes = info.tcpi_bytes_received + info.tcpi_bytes_acked;
  }
  return out;
}

// Reads one dump's replies; false on an error reply or a failed read.
bool read_dump(const Netlink& nl, std::vector<TcpSocket>& out) {
  std::array<char, 32768> buffer{};
  for (;;) {
    ssize_t n = ::recv(nl.fd(), buffer.data(), buffer.size(), 0);
    if (n <= 0) return false;
    int left = static_cast<int>(n);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(header, left);
         header = NLMSG_NEXT(header, left)) {
      if (header->nlmsg_type == NLMSG_DONE) return true;
      if (header->nlmsg_type == NLMSG_ERROR) return false;
      out.push_back(socket_of(header));
    }
  }
}

void add_ports(const std::filesystem::path& dir, std::set<int>& ports) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    auto name = entry.path().filename().string();
    if (!name.starts_with("kernel-") || entry.path().extension() != ".json") continue;
    auto text = base::read_file(entry.path());
    auto json = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    if (!json.is_object()) continue;
    for (const char* key : {"shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"})
      if (json.contains(key) && json[key].is_number_integer()) ports.insert(json[key].get<int>());
  }
}

}  // namespace

std::optional<std::vector<TcpSocket>> tcp_sockets() {
  std::vector<TcpSocket> out;
  for (int family : {AF_INET, AF_INET6}) {
    Netlink nl;
    if (nl.fd() < 0 || !send_request(nl, family) || !read_dump(nl, out)) return std::nullopt;
  }
  return out;
}

bool TcpTraffic::moved(const std::vector<TcpSocket>& sockets, const std::set<int>& excluded) {
  std::set<int> listening;
  for (const auto& s : sockets)
    if (s.listening) listening.insert(s.local_port);
  std::map<std::uint64_t, std::uint64_t> now;
  bool moved = false;
  for (const auto& s : sockets) {
    if (s.listening || !s.loopback || !listening.contains(s.local_port))
      continue;               // only the accepting end of a loopback connection to a local server
    now[s.cookie] = s.bytes;  // excluded ones too: a port excluded only sometimes stays known
    if (excluded.contains(s.local_port)) continue;
    auto before = last_.find(s.cookie);
    bool fresh = before == last_.end();
    if (!first_ && ((fresh && s.bytes > 0) || (!fresh && before->second != s.bytes))) moved = true;
  }
  last_ = std::move(now);
  first_ = false;
  return moved;
}

std::set<int> kernel_ports() {
  std::set<int> ports;
  add_ports(std::filesystem::path(home_dir()) / ".local/share/jupyter/runtime", ports);
  if (const char* dir = std::getenv("JUPYTER_RUNTIME_DIR")) add_ports(dir, ports);
  if (const char* dir = std::getenv("XDG_RUNTIME_DIR"))
    add_ports(std::filesystem::path(dir) / "jupyter", ports);
  return ports;
}

}  // namespace gpunb::agent
