#pragma once
// File-system side of the control socket: the parent directory, stale
// socket files, permissions and group ownership, peer credentials.

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace citygate::control::detail {

// Creates the parent directory with mode 0750 when it is missing, then
// removes `path` if it is a socket nobody listens on. Throws
// std::system_error when the path is too long for sockaddr_un, is not a
// socket, or a live server answers on it.
void prepare_socket_path(const std::filesystem::path& path);

// Sets mode 0660 and, when `group` exists, that group. A missing group is
// logged at INFO and the process's group is kept. Throws std::system_error
// when chmod fails.
void apply_socket_permissions(const std::filesystem::path& path, const std::string& group);

// Removes the socket file if it is still a socket; errors are logged.
void remove_socket_file(const std::filesystem::path& path);

struct peer_credentials {
    bool known = false;
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

// Reads SO_PEERCRED of a connected Unix socket.
peer_credentials read_peer_credentials(int fd);

// "uid=1000 gid=1000 pid=4242", or "unknown peer".
std::string describe(const peer_credentials& peer);

// At most `max_chars` of `line` with control and non-ASCII bytes as \xNN,
// so a hostile request cannot forge log lines.
std::string log_excerpt(std::string_view line, std::size_t max_chars = 120);

} // namespace citygate::control::detail
