#include "connection_state.h"

#include <algorithm>
#include <array>
#include <utility>

namespace ancm::server {
namespace {

template <class State, std::size_t N>
constexpr bool listed(const std::array<std::pair<State, State>, N>& table, State from, State to) {
  return std::find(table.begin(), table.end(), std::pair{from, to}) != table.end();
}

// Who moves each: connection.cpp, in the function named.
using CP = ConnectionPhase;
constexpr std::array kConnectionMoves = {
    std::pair{CP::Idle, CP::Idle},              // a watch read that brought nothing
    std::pair{CP::Idle, CP::ReadingHead},       // read_next_request: bytes came
    std::pair{CP::Idle, CP::Closing},           // graceful_close: the keep-alive wait ended (TLS)
    std::pair{CP::ReadingHead, CP::InRequest},  // dispatch_request, or reject
    std::pair{CP::InRequest, CP::Upgrading},    // upgrade
    std::pair{CP::InRequest, CP::Resuming},     // finish_request: the watch's read is cancelled
    std::pair{CP::InRequest, CP::DiscardingBody},  // continue_after_request
    std::pair{CP::InRequest, CP::Idle},            // read_next_request, or the watch's read waits
    std::pair{CP::InRequest, CP::ReadingHead},     // read_next_request: a pipelined head
    std::pair{CP::InRequest, CP::Closing},         // graceful_close: no keep-alive, server's answer
    std::pair{CP::Upgrading, CP::Upgraded},        // on_upgrade_head_sent
    std::pair{CP::Resuming, CP::DiscardingBody},
    std::pair{CP::Resuming, CP::Idle},
    std::pair{CP::Resuming, CP::ReadingHead},
    std::pair{CP::Resuming, CP::Closing},
    std::pair{CP::DiscardingBody, CP::Idle},
    std::pair{CP::DiscardingBody, CP::ReadingHead},
    std::pair{CP::DiscardingBody, CP::Closing},  // past the bound on what is discarded
    // Closed is legal from every phase (close): below, not listed.
};

using RP = RequestPhase;
constexpr std::array kRequestMoves = {
    std::pair{RP::None, RP::InHandler},        // begin_request
    std::pair{RP::InHandler, RP::Completing},  // complete_response, abort, reject
    std::pair{RP::Completing, RP::None},       // finish_request
};

using RS = ResponseProgress;
constexpr std::array kResponseMoves = {
    // ResponseWriter's moves (response_writer.cpp):
    std::pair{RS::NotStarted, RS::HeadOpen},            // open
    std::pair{RS::HeadOpen, RS::HeadSent},              // prepare_head, upgrade_head
    std::pair{RS::HeadOpen, RS::ServerAnswer},          // answer_for_handler
    std::pair{RS::ServerAnswer, RS::ServerAnswerSent},  // prepare_head
    std::pair{RS::HeadSent, RS::LastChunkSent},         // next_write
    // finish_request: the request ended, however far its response went
    std::pair{RS::HeadOpen, RS::NotStarted},
    std::pair{RS::ServerAnswer, RS::NotStarted},
    std::pair{RS::ServerAnswerSent, RS::NotStarted},
    std::pair{RS::HeadSent, RS::NotStarted},
    std::pair{RS::LastChunkSent, RS::NotStarted},
};

}  // namespace

bool is_legal(ConnectionPhase from, ConnectionPhase to) {
  // Any phase may end with the socket closed (failure, timeout, abort, drain).
  if (to == ConnectionPhase::Closed) return true;
  return listed(kConnectionMoves, from, to);
}

bool is_legal(RequestPhase from, RequestPhase to) { return listed(kRequestMoves, from, to); }

bool is_legal(ResponseProgress from, ResponseProgress to) {
  return listed(kResponseMoves, from, to);
}

std::string_view name(ConnectionPhase phase) {
  switch (phase) {
    case ConnectionPhase::Idle:
      return "Idle";
    case ConnectionPhase::ReadingHead:
      return "ReadingHead";
    case ConnectionPhase::InRequest:
      return "InRequest";
    case ConnectionPhase::Upgrading:
      return "Upgrading";
    case ConnectionPhase::Upgraded:
      return "Upgraded";
    case ConnectionPhase::Resuming:
      return "Resuming";
    case ConnectionPhase::DiscardingBody:
      return "DiscardingBody";
    case ConnectionPhase::Closing:
      return "Closing";
    case ConnectionPhase::Closed:
      return "Closed";
  }
  return "?";
}

std::string_view name(RequestPhase phase) {
  switch (phase) {
    case RequestPhase::None:
      return "None";
    case RequestPhase::InHandler:
      return "InHandler";
    case RequestPhase::Completing:
      return "Completing";
  }
  return "?";
}

std::string_view name(ResponseProgress progress) {
  switch (progress) {
    case ResponseProgress::NotStarted:
      return "NotStarted";
    case ResponseProgress::HeadOpen:
      return "HeadOpen";
    case ResponseProgress::ServerAnswer:
      return "ServerAnswer";
    case ResponseProgress::ServerAnswerSent:
      return "ServerAnswerSent";
    case ResponseProgress::HeadSent:
      return "HeadSent";
    case ResponseProgress::LastChunkSent:
      return "LastChunkSent";
  }
  return "?";
}

}  // namespace ancm::server
