#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "ancm/common/exit_text.h"
#include "ancm/common/read_all.h"
#include "ancm/common/unique_fd.h"
#include "ancm/common/write_all.h"
#include "ancm/server/tls_certificates.h"

namespace ancm::server {
namespace {

common::Result<void> check_here(const TlsOptions& options) {
  auto checked = check_certificates(options);
  if (!checked.ok()) return common::fail(std::move(checked).error());
  return {};
}

}  // namespace

common::Result<void> check_certificates_in_child(const TlsOptions& options) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return check_here(options);
  common::UniqueFd read_end(ends[0]);
  common::UniqueFd write_end(ends[1]);
  pid_t pid = ::fork();
  if (pid < 0) return check_here(options);
  if (pid == 0) {
    auto checked = check_here(options);
    if (!checked.ok()) common::write_all(write_end.get(), checked.error());
    ::_exit(checked.ok() ? 0 : 1);
  }
  write_end.reset();
  std::string error = common::read_all(read_end.get()).value_or("");
  std::string process = "the certificate check (process " + std::to_string(pid) + ")";
  int status = 0;
  pid_t waited;
  while ((waited = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  // Not a pass: an unreaped check says nothing about the files.
  if (waited != pid) {
    return common::fail("could not wait for " + process + ": " + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (error.empty()) error = process + " " + common::describe_wait_status(status);
  return common::fail(std::move(error));
}

}  // namespace ancm::server
