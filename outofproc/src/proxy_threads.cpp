#include "proxy_threads.h"

namespace ancm::outofproc {

boost::asio::io_context& ProxyThreads::io() {
  std::call_once(started_, [this] {
    for (int i = 0; i < count_; ++i) threads_.emplace_back([this] { io_.run(); });
  });
  return io_;
}

void ProxyThreads::stop() {
  work_.reset();
  io_.stop();
  threads_.clear();  // joins
}

}  // namespace ancm::outofproc
