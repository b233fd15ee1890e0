// The explicit state of one proxied request (ProxyExchange, proxy_exchange.h),
// in the same shape as the front end's Connection (server/src/connection_state.h):
// how far the request went to the child, how far the response came back, and
// whether the server's request is still the exchange's. H2ProxyExchange
// (a child that speaks HTTP/2) moves the same enums through the same tables. Each is one value at
// a time, and every change is checked against the table of legal ones
// (is_legal, proxy_exchange_state.cpp); a change the table lacks is a bug,
// which the exchange logs and answers by aborting the request and closing
// the upstream connection. No I/O here: pure and testable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ancm::outofproc {

// Where the request stands on its way to the child. Moved on the exchange's strand.
enum class RequestPhase : std::uint8_t {
  Connecting,  // waiting for a running child and an upstream connection; a
               // retry on a fresh connection starts here again
  Head,        // the head is being written; the body follows
  Body,        // the body is being relayed (a read or a write is outstanding)
  Finishing,   // the last bytes (head or body) are being written; a response
               // that ends meanwhile closes the connection (the child answered
               // without taking them, and may never take them)
  Sent,        // all of it is with the child: it ended where both sides agree
  Broken,      // stopped partway (body unlike its Content-Length, unreadable)
};

// Where the child's response stands on its way back to the client.
enum class ResponsePhase : std::uint8_t {
  Head,          // waiting for the child's final response head (interim ones are skipped)
  Body,          // the head went to the client; its body is being relayed
  Done,          // all of it was read from the child
  Upgrading,     // a 101 was relayed: the server sends it and hands over the raw stream
  Tunnel,        // the client's stream and the upstream connection are pumped both ways
  TunnelClosed,  // either side ended the tunnel (or there was no stream): both are closed
};

// Whose the server's request (ancm_request) is. The exchange may call the
// request API only while it is Owned; complete(), abort() and the shim's
// failure page each hand it back, exactly once.
enum class RequestOwnership : std::uint8_t {
  Owned,       // from handle_request until one of the three below
  Completed,   // complete(): the response ended (or the 101 went out)
  Aborted,     // abort(): the response was cut short (or never came)
  Failed,      // fail_request(): the server answers with an ANCM error page
  HandedOver,  // hand_to_h2(): the child speaks HTTP/2; an H2ProxyExchange owns it now
};

// The upstream connection the request is sent on. A failed connect, or a
// kept connection the child had closed meanwhile, starts one more attempt.
struct UpstreamAttempt {
  unsigned number = 0;   // completions of an abandoned attempt (an older number) are ignored
  bool reused = false;   // the connection was kept from this client connection's last request
  bool retried = false;  // the one retry was used: a second failure is the answer
};

// What the child's response said besides its phase.
struct ResponseFacts {
  // A 1xx other than 100 came before the final response: few servers send
  // them, and the connection is not kept after one.
  bool odd_interim = false;
  // The final response head's field count: Beast adds a chunked body's
  // trailer fields after them, so those past it are the trailers.
  std::size_t head_fields = 0;
};

// The client's side of the exchange.
struct ClientFacts {
  // The client went away (the server's disconnect callback): the response it
  // no longer waits for is cut short without a log line of its own.
  bool gone = false;
};

bool is_legal(RequestPhase from, RequestPhase to);
bool is_legal(ResponsePhase from, ResponsePhase to);
bool is_legal(RequestOwnership from, RequestOwnership to);

std::string_view name(RequestPhase phase);
std::string_view name(ResponsePhase phase);
std::string_view name(RequestOwnership ownership);

}  // namespace ancm::outofproc
