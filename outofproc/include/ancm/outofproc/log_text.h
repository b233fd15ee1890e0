// The fixed parts of the out-of-process handler's log lines that people,
// scripts and the tests look for.
#pragma once

#include <string_view>

namespace ancm::outofproc {

// A proxied response that could not be finished: the client's connection is
// closed so it sees the response end early ("response cut short: <why>").
inline constexpr std::string_view kResponseCutShort = "response cut short: ";

// A request body the server refused (malformed, or over the size limit)
// before any of the response went out: the server answers 400 or 413 itself,
// nothing was cut short ("request body refused by the server: <why>").
inline constexpr std::string_view kRequestBodyRefused = "request body refused by the server: ";

// What a child's port speaks, found when it began to listen (h2c_probe.h),
// at the end of the "listens on port" line.
inline constexpr std::string_view kChildSpeaksH2c =
    "it speaks HTTP/2 (h2c): requests go over HTTP/2";
inline constexpr std::string_view kChildSpeaksHttp1 = "it speaks HTTP/1.1";

// A WebSocket over HTTP/2 (extended CONNECT) for a child that speaks only
// h2c and whose SETTINGS do not allow extended CONNECT (RFC 8441): refused
// with 501 ("<this><child>: <why>").
inline constexpr std::string_view kWebSocketOverH2cRefused =
    "a WebSocket over HTTP/2 (extended CONNECT) is not forwarded to ";

// Warm start (warm_start.h), before the worker reports ready:
// "warm start: process 12 listens on port 5000" and
// "warm start: a process failed to start: <the 502.5 reason>".
inline constexpr std::string_view kWarmStartListens = "warm start: process ";
inline constexpr std::string_view kWarmStartFailed = "warm start: a process failed to start: ";

}  // namespace ancm::outofproc
