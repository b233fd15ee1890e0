// Runs a shell command (curl, as a client the tests compare with) and
// returns what it printed.
#pragma once

#include <filesystem>
#include <string>

namespace ancm::test {

// The command's standard output (its exit status is the test's to check
// through the output, e.g. curl's -w).
std::string command_output(const std::string& command);

// curl over a Unix domain socket: "<body>|<status>|<http version>", e.g.
// "hello|200|1.1"; options go before the URL ("--http2-prior-knowledge").
std::string curl_unix_socket(const std::filesystem::path& socket, const std::string& url,
                             const std::string& options = "");

}  // namespace ancm::test
