#include "strand.h"

namespace ancm::server {

Strand make_connection_executor(boost::asio::io_context& io, bool one_loop_thread) {
  return one_loop_thread ? Strand::on_one_thread(io.get_executor())
                         : Strand::with_strand(io.get_executor());
}

}  // namespace ancm::server
