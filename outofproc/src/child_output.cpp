#include "child_output.h"

#include <unistd.h>

#include <cerrno>

#include "ancm/common/error_page.h"
#include "ancm/common/write_all.h"

namespace ancm::outofproc {
namespace {

std::size_t utf8_chars(std::string_view bytes) {
  std::size_t chars = 0;
  for (char c : bytes) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return chars;
}

using common::write_all;

}  // namespace

bool ChildOutput::drain(int pipe) {
  char buffer[16384];
  while (true) {
    ssize_t got = ::read(pipe, buffer, sizeof buffer);
    if (got > 0) {
      append(std::string_view(buffer, static_cast<std::size_t>(got)));
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

void ChildOutput::append(std::string_view bytes) {
  if (log_) write_all(log_.get(), bytes);
  // One character past the limit is kept so that a sequence split across
  // reads is completed before text() cuts at a whole character.
  if (kept_chars_ <= common::kMaxAppOutputChars) {
    kept_.append(bytes);
    kept_chars_ += utf8_chars(bytes);
    if (kept_chars_ > common::kMaxAppOutputChars + 1) {
      kept_.resize(common::truncate_utf8(kept_, common::kMaxAppOutputChars + 1).size());
      kept_chars_ = common::kMaxAppOutputChars + 1;
    }
  }
}

std::string ChildOutput::text() const {
  return std::string(common::truncate_utf8(kept_, common::kMaxAppOutputChars));
}

}  // namespace ancm::outofproc
