// RAII owners for libssh handles (move-only; unique_ptr with the matching free function).
#pragma once

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <memory>
#include <string>
#include <type_traits>

namespace gpunb::ssh {

struct SessionFree {
  void operator()(ssh_session session) const {
    ssh_disconnect(session);
    ssh_free(session);
  }
};
struct ChannelFree {
  void operator()(ssh_channel channel) const { ssh_channel_free(channel); }
};
struct SftpFree {
  void operator()(sftp_session sftp) const { sftp_free(sftp); }
};
struct SftpFileFree {
  void operator()(sftp_file file) const { sftp_close(file); }
};
struct SftpAttributesFree {
  void operator()(sftp_attributes attributes) const { sftp_attributes_free(attributes); }
};
struct KeyFree {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
struct LibsshCharFree {
  void operator()(char* text) const { ssh_string_free_char(text); }
};
struct EventFree {
  void operator()(ssh_event event) const { ssh_event_free(event); }
};

template <typename Handle, typename Free>
using Owner = std::unique_ptr<std::remove_pointer_t<Handle>, Free>;

using SessionHandle = Owner<ssh_session, SessionFree>;
using ChannelHandle = Owner<ssh_channel, ChannelFree>;
using SftpHandle = Owner<sftp_session, SftpFree>;
using SftpFileHandle = Owner<sftp_file, SftpFileFree>;
using SftpAttributesHandle = Owner<sftp_attributes, SftpAttributesFree>;
using KeyHandle = Owner<ssh_key, KeyFree>;
using LibsshChars = Owner<char*, LibsshCharFree>;
using EventHandle = Owner<ssh_event, EventFree>;

// Sessions are shared by the channels and SFTP handles made from them, so that a Channel that
// outlives its Session never touches freed memory.
using SharedSession = std::shared_ptr<std::remove_pointer_t<ssh_session>>;

inline SharedSession share(SessionHandle session) {
  return SharedSession(session.release(), SessionFree{});
}

inline std::string session_error(ssh_session session) {
  const char* text = ssh_get_error(session);
  return text != nullptr && *text != '\0' ? text : "unknown libssh error";
}

}  // namespace gpunb::ssh
