// The access log's two line formats (pure text, no I/O; unit-tested in
// access_log_format_test):
// - w3c: IIS's W3C extended log, its default fields, with the header block
//   (#Software, #Version, #Date, #Fields) a file starts with;
// - combined: nginx's (and Apache's) "combined".
// Values that come from the client are escaped so that no request can add
// or forge a line: CR, LF, every control byte, '"', '\' and bytes from 0x7f
// up become \xHH (nginx's escaping); in w3c a space becomes '+' (as IIS
// writes it) and '+' itself \x2B, so fields stay space-separated and
// unambiguous.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ancm/server/options.h"
#include "observe/request_record.h"

namespace ancm::server {

std::optional<AccessLogFormat> parse_access_log_format(std::string_view text);
const char* to_string(AccessLogFormat format);

// The lines a w3c file (or a reopened one) starts with; empty for combined.
std::string access_log_header(AccessLogFormat format, std::chrono::system_clock::time_point now);

// Appends one line, '\n' included.
void append_access_log_line(AccessLogFormat format, const RequestRecord& record, std::string& out);

}  // namespace ancm::server
