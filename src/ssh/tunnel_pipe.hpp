// One forwarded connection: a local client socket and its direct-tcpip channel, pumped both ways
// without ever blocking the loop. Back-pressure: the client socket is read only while the
// channel's window has room (and never more than that room); the channel is read only when what
// was read before has reached the client socket.
#pragma once

#include <libssh/libssh.h>

#include <cstdint>
#include <span>
#include <string>

#include "ssh/handles.hpp"
#include "ssh/tunnel_link.hpp"
#include "ssh/tunnel_socket.hpp"

namespace gpunb::ssh {

struct Forward {
  std::string host;
  int port = 0;
  int local_port = 0;  // reported to the server as the originator port
};

class Pipe {
 public:
  enum class Phase { waiting, opening, open, done };

  Pipe(Fd client, SteadyClock::time_point accepted);
  Phase phase() const { return phase_; }
  int fd() const { return client_.get(); }
  SteadyClock::time_point since() const { return since_; }
  short poll_events() const;

  // Starts or goes on opening the channel (non-blocking).
  void open(ssh_session session, const Forward& forward, SteadyClock::time_point now);
  // Moves what it can both ways; SCRATCH is a shared read buffer.
  void serve(short revents, std::span<char> scratch);
  // The session died: a channel still opening goes back to waiting, an open one is closed.
  void lose_session();
  void close();

  // True when the last channel read filled the buffer: libssh may hold more for this pipe.
  bool maybe_more() const { return filled_; }
  uint64_t take_bytes_up() { return std::exchange(bytes_up_, 0); }
  uint64_t take_bytes_down() { return std::exchange(bytes_down_, 0); }

 private:
  void from_client(std::span<char> scratch);
  void to_channel(std::string_view data);
  void from_channel(std::span<char> scratch);
  void to_client(std::string_view data);
  void flush_pending();
  void settle();

  Fd client_;
  ChannelHandle channel_;
  Phase phase_ = Phase::waiting;
  SteadyClock::time_point since_;
  std::string up_;            // read from the client, not yet taken by the channel
  std::string down_;          // read from the channel, not yet taken by the client socket
  bool client_eof_ = false;   // the client shut its sending side
  bool eof_sent_ = false;     // ... and the channel was told
  bool client_shut_ = false;  // the server's EOF passed on to the client
  bool filled_ = false;
  uint64_t bytes_up_ = 0;
  uint64_t bytes_down_ = 0;
};

}  // namespace gpunb::ssh
