// hostfxr_set_error_writer takes a plain function pointer and gives it no
// context, so the capture works through the one piece of global state the
// loader has: the calling thread's current buffer. hostfxr keeps its writer
// per thread too, so the two always agree.
#include "ancm/loader/loader.h"

namespace ancm::loader {
namespace {

thread_local std::string* t_capture_buffer = nullptr;

}  // namespace

extern "C" {
static void ancm_loader_capture_error(const char* message) {
  if (!t_capture_buffer || !message) return;
  try {
    t_capture_buffer->append(message).push_back('\n');
  } catch (...) {
    // Called from C: an allocation failure loses the line, nothing more.
  }
}
}

ErrorWriterCapture::ErrorWriterCapture(const Hostfxr& hostfxr)
    : set_error_writer_(hostfxr.api().set_error_writer),
      previous_writer_(set_error_writer_(&ancm_loader_capture_error)),
      previous_buffer_(t_capture_buffer) {
  t_capture_buffer = &text_;
}

ErrorWriterCapture::~ErrorWriterCapture() {
  t_capture_buffer = previous_buffer_;
  set_error_writer_(previous_writer_);
}

}  // namespace ancm::loader
