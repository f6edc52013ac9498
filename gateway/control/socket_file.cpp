#include "gateway/control/socket_file.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>

namespace citygate::control::detail {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

void check_length(const fs::path& path) {
    const sockaddr_un address{};
    if (path.native().size() >= sizeof(address.sun_path)) {
        throw_errno(ENAMETOOLONG, "control socket path " + path.string() + " is longer than " +
                                      std::to_string(sizeof(address.sun_path) - 1) + " bytes");
    }
}

void create_parent(const fs::path& path) {
    const fs::path parent = path.parent_path();
    if (parent.empty() || fs::exists(parent)) {
        return;
    }

    std::error_code error;
    fs::create_directories(parent, error);
    if (error) {
        throw std::system_error(error, "cannot create control socket directory " + parent.string());
    }
    fs::permissions(parent, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec,
                    fs::perm_options::replace, error);
    if (error) {
        throw std::system_error(error, "cannot set mode 0750 on " + parent.string());
    }
    spdlog::info("control: created socket directory {} with mode 0750", parent.string());
}

// True when a process accepts connections on the socket file.
bool is_listening(const fs::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw_errno(errno, "cannot create a probe socket for " + path.string());
    }

    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.native().copy(address.sun_path, sizeof(address.sun_path) - 1);
    const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return connected;
}

void remove_stale(const fs::path& path) {
    std::error_code error;
    const auto status = fs::symlink_status(path, error);
    if (error || status.type() == fs::file_type::not_found) {
        return;
    }
    if (status.type() != fs::file_type::socket) {
        throw_errno(EEXIST, "control socket path " + path.string() + " exists and is not a socket; remove it");
    }
    if (is_listening(path)) {
        throw_errno(EADDRINUSE, "another process is listening on " + path.string() + "; is citygated already running?");
    }

    fs::remove(path, error);
    if (error) {
        throw std::system_error(error, "cannot remove stale control socket " + path.string());
    }
    spdlog::info("control: removed stale socket {}", path.string());
}

// Looks up a group id by name; false when the group does not exist.
bool lookup_group(const std::string& name, gid_t& gid) {
    std::array<char, 4096> buffer{};
    group entry{};
    group* result = nullptr;
    if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &result) != 0 || result == nullptr) {
        return false;
    }
    gid = entry.gr_gid;
    return true;
}

} // namespace

void prepare_socket_path(const fs::path& path) {
    check_length(path);
    create_parent(path);
    remove_stale(path);
}

void apply_socket_permissions(const fs::path& path, const std::string& group_name) {
    if (::chmod(path.c_str(), 0660) != 0) {
        throw_errno(errno, "cannot set mode 0660 on control socket " + path.string());
    }

    gid_t gid = 0;
    if (group_name.empty() || !lookup_group(group_name, gid)) {
        spdlog::info("control: group '{}' does not exist; socket {} keeps group id {}", group_name, path.string(),
                     ::getegid());
        return;
    }
    // Under citygated.service the socket already has the service's primary
    // group, and the unit's SystemCallFilter= rejects chown(), so the call
    // is only made when the group differs.
    struct stat status {};
    if (::stat(path.c_str(), &status) == 0 && status.st_gid == gid) {
        return;
    }
    if (::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
        const int error = errno;
        spdlog::warn("control: cannot give socket {} to group '{}' (gid {}): {}; only the owner can use it",
                     path.string(), group_name, gid, std::generic_category().message(error));
    }
}

void remove_socket_file(const fs::path& path) {
    std::error_code error;
    if (fs::symlink_status(path, error).type() != fs::file_type::socket) {
        return;
    }
    if (!fs::remove(path, error) && error) {
        spdlog::warn("control: cannot remove socket {}: {}", path.string(), error.message());
    }
}

peer_credentials read_peer_credentials(int fd) {
    ucred credentials{};
    socklen_t size = sizeof(credentials);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0 || size != sizeof(credentials)) {
        return {};
    }
    return {true, credentials.pid, credentials.uid, credentials.gid};
}

std::string describe(const peer_credentials& peer) {
    if (!peer.known) {
        return "unknown peer";
    }
    return "uid=" + std::to_string(peer.uid) + " gid=" + std::to_string(peer.gid) + " pid=" + std::to_string(peer.pid);
}

std::string log_excerpt(std::string_view line, std::size_t max_chars) {
    std::string out;
    for (const char c : line.substr(0, max_chars)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && c != '\\') {
            out.push_back(c);
            continue;
        }
        std::array<char, 5> escaped{};
        std::snprintf(escaped.data(), escaped.size(), "\\x%02X", byte);
        out += escaped.data();
    }
    if (line.size() > max_chars) {
        out += "... (" + std::to_string(line.size()) + " bytes)";
    }
    return out;
}

} // namespace citygate::control::detail
