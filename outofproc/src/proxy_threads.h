// The proxy's own I/O threads, for a server that does not offer its
// connections' strands (ancm_request_api::connection_executor). Started on
// first use, so a proxy that runs on the server's threads never has them.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <mutex>
#include <thread>
#include <vector>

namespace ancm::outofproc {

class ProxyThreads {
 public:
  explicit ProxyThreads(int count) : count_(count) {}
  ~ProxyThreads() { stop(); }
  ProxyThreads(const ProxyThreads&) = delete;
  ProxyThreads& operator=(const ProxyThreads&) = delete;

  boost::asio::io_context& io();
  // Ends the threads (pending work is dropped). Not from one of them.
  void stop();

 private:
  int count_;
  std::once_flag started_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::vector<std::jthread> threads_;
};

}  // namespace ancm::outofproc
