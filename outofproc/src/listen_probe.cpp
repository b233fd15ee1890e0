#include "listen_probe.h"

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#include "process_group.h"

namespace fs = std::filesystem;

namespace ancm::outofproc {
namespace {

constexpr std::string_view kListenState = "0A";

// "0100007F:1F90" -> 0x1F90
std::optional<std::uint16_t> port_of(std::string_view address) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string hex(address.substr(colon + 1));
  char* end = nullptr;
  unsigned long value = std::strtoul(hex.c_str(), &end, 16);
  if (hex.empty() || *end != '\0' || value > 0xFFFF) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool holds_any_socket(pid_t pid, const std::set<ino_t>& inodes) {
  std::error_code ec;
  fs::directory_iterator fds(fs::path("/proc") / std::to_string(pid) / "fd", ec);
  if (ec) return false;  // gone, or not ours to look at
  for (const fs::directory_entry& fd : fds) {
    fs::path target = fs::read_symlink(fd.path(), ec);
    if (ec) continue;
    std::string text = target.string();
    // "socket:[12345]"
    if (!text.starts_with("socket:[") || text.back() != ']') continue;
    ino_t inode = std::strtoull(text.c_str() + 8, nullptr, 10);
    if (inodes.count(inode) != 0) return true;
  }
  return false;
}

}  // namespace

std::set<ino_t> listening_inodes_in_table(std::string_view table, std::uint16_t port) {
  std::set<ino_t> inodes;
  std::istringstream lines{std::string(table)};
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    unsigned long long inode = 0;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode)) {
      continue;
    }
    if (state != kListenState || port_of(local) != port || inode == 0) continue;
    inodes.insert(static_cast<ino_t>(inode));
  }
  return inodes;
}

std::set<ino_t> listening_inodes(std::uint16_t port) {
  std::set<ino_t> inodes =
      listening_inodes_in_table(read_proc_file("/proc/net/tcp").value_or(""), port);
  inodes.merge(listening_inodes_in_table(read_proc_file("/proc/net/tcp6").value_or(""), port));
  return inodes;
}

bool group_listens_on(pid_t pgid, std::uint16_t port) {
  std::set<ino_t> inodes = listening_inodes(port);
  if (inodes.empty()) return false;
  // The leader first: the common case needs no scan of /proc.
  if (holds_any_socket(pgid, inodes)) return true;
  for (pid_t member : processes_in_group(pgid)) {
    if (member != pgid && holds_any_socket(member, inodes)) return true;
  }
  return false;
}

}  // namespace ancm::outofproc
