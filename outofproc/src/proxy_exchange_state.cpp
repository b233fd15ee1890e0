#include "proxy_exchange_state.h"

#include <algorithm>
#include <array>
#include <utility>

namespace ancm::outofproc {
namespace {

template <class State, std::size_t N>
constexpr bool listed(const std::array<std::pair<State, State>, N>& table, State from, State to) {
  return std::find(table.begin(), table.end(), std::pair{from, to}) != table.end();
}

// Who moves each: proxy_exchange.cpp (proxy_tunnel.cpp for the tunnel), in
// the function named; h2_proxy_exchange.cpp moves the request phase
// Connecting -> Head -> Body -> Finishing -> Sent (or Connecting -> Finishing
// without a body; back to Connecting for a retry; Body -> Broken) and the
// response phase Head -> Body -> Done, or for an extended CONNECT's tunnel
// Head -> Upgrading -> Tunnel -> TunnelClosed (h2_proxy_tunnel.cpp), through
// the same tables.
using RQ = RequestPhase;
constexpr std::array kRequestMoves = {
    std::pair{RQ::Connecting, RQ::Head},       // send_head: a body follows
    std::pair{RQ::Connecting, RQ::Finishing},  // send_head: the head is all of it
    std::pair{RQ::Head, RQ::Body},             // on_head_sent
    std::pair{RQ::Body, RQ::Finishing},        // on_client_body: the body's end was read
    std::pair{RQ::Body, RQ::Broken},           // request_broken
    std::pair{RQ::Finishing, RQ::Sent},        // on_last_bytes_sent
    // retry_on_fresh_connection: a kept connection failed before any of the
    // body was taken from the client, so the request can go again whole.
    std::pair{RQ::Head, RQ::Connecting},
    std::pair{RQ::Finishing, RQ::Connecting},
    std::pair{RQ::Sent, RQ::Connecting},
};

using RS = ResponsePhase;
constexpr std::array kResponseMoves = {
    std::pair{RS::Head, RS::Body},               // on_response_head: a final head
    std::pair{RS::Body, RS::Done},               // end_response
    std::pair{RS::Head, RS::Upgrading},          // accept_upgrade: a 101 for an upgrade
    std::pair{RS::Upgrading, RS::Tunnel},        // start_tunnel: the server gave the stream
    std::pair{RS::Upgrading, RS::TunnelClosed},  // start_tunnel: no stream, or the request ended
    std::pair{RS::Tunnel, RS::TunnelClosed},     // close_tunnel
};

using RO = RequestOwnership;
constexpr std::array kOwnershipMoves = {
    std::pair{RO::Owned, RO::Completed},   // complete_request
    std::pair{RO::Owned, RO::Aborted},     // abort_request
    std::pair{RO::Owned, RO::Failed},      // fail_request
    std::pair{RO::Owned, RO::HandedOver},  // hand_to_h2
};

}  // namespace

bool is_legal(RequestPhase from, RequestPhase to) { return listed(kRequestMoves, from, to); }

bool is_legal(ResponsePhase from, ResponsePhase to) { return listed(kResponseMoves, from, to); }

bool is_legal(RequestOwnership from, RequestOwnership to) {
  return listed(kOwnershipMoves, from, to);
}

std::string_view name(RequestPhase phase) {
  switch (phase) {
    case RequestPhase::Connecting:
      return "Connecting";
    case RequestPhase::Head:
      return "Head";
    case RequestPhase::Body:
      return "Body";
    case RequestPhase::Finishing:
      return "Finishing";
    case RequestPhase::Sent:
      return "Sent";
    case RequestPhase::Broken:
      return "Broken";
  }
  return "?";
}

std::string_view name(ResponsePhase phase) {
  switch (phase) {
    case ResponsePhase::Head:
      return "Head";
    case ResponsePhase::Body:
      return "Body";
    case ResponsePhase::Done:
      return "Done";
    case ResponsePhase::Upgrading:
      return "Upgrading";
    case ResponsePhase::Tunnel:
      return "Tunnel";
    case ResponsePhase::TunnelClosed:
      return "TunnelClosed";
  }
  return "?";
}

std::string_view name(RequestOwnership ownership) {
  switch (ownership) {
    case RequestOwnership::Owned:
      return "Owned";
    case RequestOwnership::Completed:
      return "Completed";
    case RequestOwnership::Aborted:
      return "Aborted";
    case RequestOwnership::Failed:
      return "Failed";
    case RequestOwnership::HandedOver:
      return "HandedOver";
  }
  return "?";
}

}  // namespace ancm::outofproc
