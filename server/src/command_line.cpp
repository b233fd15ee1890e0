#include "ancm/server/command_line.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <map>

#include "ancm/server/listen_address.h"
#include "observe/access_log_format.h"

namespace ancm::server {
namespace {

common::Result<long long> number(const std::string& flag, const std::string& text, long long min,
                                 long long max) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
      value > max) {
    return common::fail(flag + " needs a whole number from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got '" + text + "'");
  }
  return value;
}

// A byte count: digits, then optionally an SI (KB, MB, GB, TB: powers of 1000)
// or IEC unit (KiB, MiB, GiB, TiB: powers of 1024), or nginx's k, m, g
// (powers of 1024, either case).
common::Result<long long> byte_count(const std::string& flag, const std::string& text,
                                     long long min, long long max) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string unit = text.substr(digits);
  static const std::map<std::string, long long> units = {
      {"", 1},
      {"KB", 1000LL},
      {"MB", 1000LL * 1000},
      {"GB", 1000LL * 1000 * 1000},
      {"TB", 1000LL * 1000 * 1000 * 1000},
      {"KiB", 1LL << 10},
      {"MiB", 1LL << 20},
      {"GiB", 1LL << 30},
      {"TiB", 1LL << 40},
      {"k", 1LL << 10},
      {"K", 1LL << 10},
      {"m", 1LL << 20},
      {"M", 1LL << 20},
      {"g", 1LL << 30},
      {"G", 1LL << 30},
  };
  auto multiplier = units.find(unit);
  auto count = number(flag, text.substr(0, digits), 0, max);
  if (multiplier == units.end() || !count.ok() || count.value() > max / multiplier->second ||
      count.value() * multiplier->second < min) {
    return common::fail(flag + " needs a size from " + std::to_string(min) + " to " +
                        std::to_string(max) +
                        " bytes (a number, optionally with KB, MB, GB, KiB, MiB, GiB or k, m, g), "
                        "got '" +
                        text + "'");
  }
  return count.value() * multiplier->second;
}

// A flag with a value; fails with a message naming the flag.
using Setter = std::function<common::Result<void>(const std::string& value)>;

template <class T>
Setter seconds_flag(const std::string& flag, T& field, long long max) {
  return [flag, &field, max](const std::string& value) -> common::Result<void> {
    auto parsed = number(flag, value, 1, max);
    if (!parsed.ok()) return common::fail(std::move(parsed).error());
    field = T(parsed.value());
    return {};
  };
}

using Parser = common::Result<long long> (*)(const std::string& flag, const std::string& text,
                                             long long min, long long max);

// Field is std::size_t, or std::optional<std::size_t> for a flag that is
// an override only when given.
template <class Field>
Setter unsigned_flag(const std::string& flag, Field& field, long long min, long long max,
                     Parser parse) {
  return [flag, &field, min, max, parse](const std::string& value) -> common::Result<void> {
    auto parsed = parse(flag, value, min, max);
    if (!parsed.ok()) return common::fail(std::move(parsed).error());
    field = static_cast<std::size_t>(parsed.value());
    return {};
  };
}

template <class Field>
Setter size_flag(const std::string& flag, Field& field, long long min, long long max) {
  return unsigned_flag(flag, field, min, max, &byte_count);
}

template <class Field>
Setter count_flag(const std::string& flag, Field& field, long long min, long long max) {
  return unsigned_flag(flag, field, min, max, &number);
}

Setter int_flag(const std::string& flag, int& field, long long min, long long max) {
  return [flag, &field, min, max](const std::string& value) -> common::Result<void> {
    auto parsed = number(flag, value, min, max);
    if (!parsed.ok()) return common::fail(std::move(parsed).error());
    field = static_cast<int>(parsed.value());
    return {};
  };
}

void add_limit_flags(std::map<std::string, Setter>& flags, HttpLimits& limits,
                     std::chrono::seconds& drain, int& threads) {
  flags["--max-header-bytes"] =
      size_flag("--max-header-bytes", limits.max_header_bytes, 256, 16 << 20);
  flags["--max-uri-bytes"] = size_flag("--max-uri-bytes", limits.max_uri_bytes, 16, 16 << 20);
  flags["--max-header-count"] = count_flag("--max-header-count", limits.max_header_count, 1, 10000);
  flags["--max-body-bytes"] =
      size_flag("--max-body-bytes", limits.max_body_bytes_override, 0, 1LL << 50);
  flags["--header-timeout"] = seconds_flag("--header-timeout", limits.header_timeout, 3600);
  flags["--keepalive-timeout"] =
      seconds_flag("--keepalive-timeout", limits.keepalive_timeout, 86400);
  flags["--io-timeout"] = seconds_flag("--io-timeout", limits.io_timeout, 86400);
  flags["--http2-max-streams"] =
      count_flag("--http2-max-streams", limits.http2_max_concurrent_streams, 1, 10000);
  flags["--http2-stream-window"] =
      size_flag("--http2-stream-window", limits.http2_stream_window, 1024, (1LL << 31) - 1);
  flags["--http2-connection-window"] = size_flag(
      "--http2-connection-window", limits.http2_connection_window, 65535, (1LL << 31) - 1);
  flags["--drain-timeout"] = seconds_flag("--drain-timeout", drain, 3600);
  flags["--threads"] = int_flag("--threads", threads, 0, 256);
}

Setter path_flag(std::filesystem::path& field) {
  return [&field](const std::string& value) -> common::Result<void> {
    field = value;
    return {};
  };
}

common::Result<ClientCertificateMode> client_certificate_mode(const std::string& text) {
  if (text == "none") return ClientCertificateMode::none;
  if (text == "allow") return ClientCertificateMode::allow;
  if (text == "require") return ClientCertificateMode::require;
  return common::fail("--client-cert needs none, allow or require, got '" + text + "'");
}

void add_tls_flags(std::map<std::string, Setter>& flags, TlsOptions& tls) {
  flags["--tls-cert"] = path_flag(tls.certificate);
  flags["--tls-key"] = path_flag(tls.key);
  flags["--tls-key-passphrase-file"] = path_flag(tls.key_passphrase_file);
  flags["--tls-cert-dir"] = path_flag(tls.certificate_dir);
  flags["--tls-client-ca"] = path_flag(tls.client_ca);
  flags["--client-cert"] = [&tls](const std::string& value) -> common::Result<void> {
    auto mode = client_certificate_mode(value);
    if (!mode.ok()) return common::fail(std::move(mode).error());
    tls.client_certificate = mode.value();
    return {};
  };
}

// The TLS flags make sense together, and an https:// listener needs them.
common::Result<void> check_tls_flags(const TlsOptions& tls, bool https_listener) {
  if (tls.certificate.empty() != tls.key.empty()) {
    return common::fail("--tls-cert and --tls-key go together");
  }
  if (https_listener && !tls.configured()) {
    return common::fail("an https:// listener needs --tls-cert FILE and --tls-key FILE");
  }
  bool other_tls_flags = !tls.key_passphrase_file.empty() || !tls.certificate_dir.empty() ||
                         !tls.client_ca.empty() ||
                         tls.client_certificate != ClientCertificateMode::none;
  if (other_tls_flags && !tls.configured()) {
    return common::fail("the TLS options need --tls-cert FILE and --tls-key FILE");
  }
  return {};
}

const char* to_flag_text(ClientCertificateMode mode) {
  switch (mode) {
    case ClientCertificateMode::allow:
      return "allow";
    case ClientCertificateMode::require:
      return "require";
    case ClientCertificateMode::none:
      break;
  }
  return "none";
}

void append_tls_arguments(const TlsOptions& tls, std::vector<std::string>& args) {
  if (!tls.configured()) return;
  auto add = [&args](const char* flag, const std::filesystem::path& path) {
    if (!path.empty()) args.push_back(std::string(flag) + "=" + path.string());
  };
  add("--tls-cert", tls.certificate);
  add("--tls-key", tls.key);
  add("--tls-key-passphrase-file", tls.key_passphrase_file);
  add("--tls-cert-dir", tls.certificate_dir);
  add("--tls-client-ca", tls.client_ca);
  args.push_back(std::string("--client-cert=") + to_flag_text(tls.client_certificate));
}

// "0660" or "660": an octal permission mode, at most 0777.
common::Result<unsigned> octal_mode(const std::string& text) {
  unsigned mode = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (text.size() < 3 || text.size() > 4 || ec != std::errc{} || end != text.data() + text.size() ||
      mode > 0777) {
    return common::fail(
        "--unix-socket-mode needs an octal mode from 000 to 0777 (e.g. 0660), got '" + text + "'");
  }
  return mode;
}

void add_unix_socket_flags(std::map<std::string, Setter>& flags, UnixSocketOptions& unix_socket,
                           bool& given) {
  flags["--unix-socket-mode"] = [&unix_socket, &given](const std::string& value) {
    auto mode = octal_mode(value);
    if (!mode.ok()) return common::Result<void>(common::fail(std::move(mode).error()));
    unix_socket.mode = mode.value();
    given = true;
    return common::Result<void>{};
  };
  flags["--unix-socket-group"] = [&unix_socket, &given](const std::string& value) {
    if (value.empty())
      return common::Result<void>(common::fail("--unix-socket-group needs a group"));
    unix_socket.group = value;
    given = true;
    return common::Result<void>{};
  };
}

// The unix socket flags set up files the master binds: without a unix:
// listener they would do nothing, which is a mistake worth saying.
common::Result<void> check_unix_socket_flags(const std::vector<std::string>& listen, bool given) {
  bool unix_listener = std::any_of(listen.begin(), listen.end(), [](const std::string& url) {
    auto parsed = parse_listen_url(url);
    return parsed.ok() && parsed.value().is_unix;
  });
  if (given && !unix_listener) {
    return common::fail(
        "--unix-socket-mode and --unix-socket-group apply to unix: listeners (--listen "
        "http://unix:/path), and none is given");
  }
  return {};
}

void add_access_log_flags(std::map<std::string, Setter>& flags, AccessLogOptions& log) {
  flags["--access-log"] = [&log](const std::string& value) -> common::Result<void> {
    if (value.empty()) return common::fail("--access-log needs a file, or - for stdout");
    log.path = value;
    return {};
  };
  flags["--access-log-format"] = [&log](const std::string& value) -> common::Result<void> {
    auto format = parse_access_log_format(value);
    if (!format) {
      return common::fail("--access-log-format needs w3c or combined, got '" + value + "'");
    }
    log.format = *format;
    return {};
  };
}

// --admin-listen takes "127.0.0.1:9100" or "http://127.0.0.1:9100": plain
// HTTP on TCP only. Returns the URL form.
common::Result<std::string> admin_url(const std::string& text) {
  std::string url = text.find("://") == std::string::npos ? "http://" + text : text;
  auto parsed = parse_listen_url(url);
  if (!parsed.ok() || parsed.value().is_unix || parsed.value().tls) {
    return common::fail(
        "--admin-listen needs ADDRESS:PORT (plain HTTP over TCP, e.g. "
        "127.0.0.1:9100), got '" +
        text + "'");
  }
  return url;
}

// The admin address is never an app listener's: the same port on the same
// (or an overlapping, wildcard) address would share one socket's traffic.
common::Result<void> check_admin_listen(const std::string& admin,
                                        const std::vector<std::string>& listen) {
  auto ours = parse_listen_url(admin);
  if (!ours.ok() || ours.value().port == 0) return {};
  for (const auto& url : listen) {
    auto other = parse_listen_url(url);
    if (!other.ok() || other.value().is_unix || other.value().port != ours.value().port) continue;
    const auto& a = ours.value().host;
    const auto& b = other.value().host;
    if (a == b || a == kAnyAddress || b == kAnyAddress || a == kLocalhost || b == kLocalhost) {
      return common::fail("--admin-listen " + admin + " is the address of the app listener " + url +
                          ": the admin address must be another one");
    }
  }
  return {};
}

// Walks "--flag value" / "--flag=value" pairs and one positional target.
common::Result<void> parse(const std::vector<std::string>& args,
                           std::map<std::string, Setter>& flags, std::filesystem::path& target) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!target.empty()) {
        return common::fail("unexpected argument '" + arg + "' (one web.config or folder)");
      }
      target = arg;
      continue;
    }
    auto flag = flags.find(arg);
    if (flag == flags.end()) return common::fail("unknown option '" + arg + "'");
    if (!has_value) {
      if (i + 1 >= args.size()) return common::fail(arg + " needs a value");
      value = args[++i];
    }
    if (auto applied = flag->second(value); !applied.ok()) return applied;
  }
  if (target.empty()) return common::fail("missing the web.config file or application folder");
  return {};
}

}  // namespace

common::Result<MasterOptions> parse_run_arguments(const std::vector<std::string>& args) {
  MasterOptions options;
  std::map<std::string, Setter> flags;
  add_limit_flags(flags, options.limits, options.drain_timeout, options.threads);
  add_tls_flags(flags, options.tls);
  bool unix_socket_flags = false;
  add_unix_socket_flags(flags, options.unix_socket, unix_socket_flags);
  add_access_log_flags(flags, options.access_log);
  flags["--admin-listen"] = [&options](const std::string& value) -> common::Result<void> {
    auto url = admin_url(value);
    if (!url.ok()) return common::fail(std::move(url).error());
    options.admin_listen = std::move(url).value();
    return {};
  };
  flags["--listen"] = [&options](const std::string& value) {
    options.listen.push_back(value);
    return common::Result<void>{};
  };
  // Kestrel's and ASPNETCORE_URLS's form: several URLs, ';'-separated.
  flags["--urls"] = [&options](const std::string& value) {
    for (auto& url : split_urls(value)) options.listen.push_back(std::move(url));
    return common::Result<void>{};
  };
  if (auto parsed = parse(args, flags, options.target); !parsed.ok()) {
    return common::fail(std::move(parsed).error());
  }
  bool https = std::any_of(options.listen.begin(), options.listen.end(),
                           [](const std::string& url) { return url.starts_with("https://"); });
  if (auto checked = check_tls_flags(options.tls, https); !checked.ok()) {
    return common::fail(std::move(checked).error());
  }
  if (auto checked = check_unix_socket_flags(options.listen, unix_socket_flags); !checked.ok()) {
    return common::fail(std::move(checked).error());
  }
  if (auto checked = check_admin_listen(options.admin_listen, options.listen); !checked.ok()) {
    return common::fail(std::move(checked).error());
  }
  return options;
}

common::Result<WorkerOptions> parse_worker_arguments(const std::vector<std::string>& args) {
  WorkerOptions options;
  std::map<std::string, Setter> flags;
  add_limit_flags(flags, options.limits, options.drain_timeout, options.threads);
  flags["--listen-fd"] = [&options](const std::string& value) -> common::Result<void> {
    auto parsed = number("--listen-fd", value, 0, 1 << 20);
    if (!parsed.ok()) return common::fail(std::move(parsed).error());
    options.listen_fds.push_back(static_cast<int>(parsed.value()));
    return common::Result<void>{};
  };
  flags["--tls-listen-fd"] = [&options](const std::string& value) -> common::Result<void> {
    auto parsed = number("--tls-listen-fd", value, 0, 1 << 20);
    if (!parsed.ok()) return common::fail(std::move(parsed).error());
    options.tls_listen_fds.push_back(static_cast<int>(parsed.value()));
    return common::Result<void>{};
  };
  add_tls_flags(flags, options.tls);
  flags["--control-fd"] = int_flag("--control-fd", options.control_fd, 0, 1 << 20);
  flags["--start-failure"] = [&options](const std::string& value) {
    options.start_failure = value;
    return common::Result<void>{};
  };
  add_access_log_flags(flags, options.access_log);
  flags["--admin-listen-fd"] = [&options](const std::string& value) -> common::Result<void> {
    auto parsed = number("--admin-listen-fd", value, 0, 1 << 20);
    if (!parsed.ok()) return common::fail(std::move(parsed).error());
    options.admin_listen_fds.push_back(static_cast<int>(parsed.value()));
    return {};
  };
  flags["--recycles"] = [&options](const std::string& value) -> common::Result<void> {
    auto parsed = number("--recycles", value, 0, 1LL << 50);
    if (!parsed.ok()) return common::fail(std::move(parsed).error());
    options.recycles = parsed.value();
    return {};
  };
  if (auto parsed = parse(args, flags, options.target); !parsed.ok()) {
    return common::fail(std::move(parsed).error());
  }
  if (auto checked = check_tls_flags(options.tls, !options.tls_listen_fds.empty()); !checked.ok()) {
    return common::fail(std::move(checked).error());
  }
  return options;
}

std::vector<std::string> certificate_check_arguments(const std::filesystem::path& target,
                                                     const TlsOptions& tls) {
  std::vector<std::string> args = {target.string()};
  append_tls_arguments(tls, args);
  return args;
}

common::Result<TlsOptions> parse_certificate_check_arguments(const std::vector<std::string>& args) {
  TlsOptions tls;
  std::map<std::string, Setter> flags;
  add_tls_flags(flags, tls);
  std::filesystem::path target;
  if (auto parsed = parse(args, flags, target); !parsed.ok()) {
    return common::fail(std::move(parsed).error());
  }
  if (!tls.configured()) return common::fail("no certificate to check (--tls-cert, --tls-key)");
  return tls;
}

std::vector<std::string> worker_arguments(const WorkerOptions& options) {
  const auto& limits = options.limits;
  std::vector<std::string> args = {
      options.target.string(),
      "--max-header-bytes=" + std::to_string(limits.max_header_bytes),
      "--max-uri-bytes=" + std::to_string(limits.max_uri_bytes),
      "--max-header-count=" + std::to_string(limits.max_header_count),
      "--header-timeout=" + std::to_string(limits.header_timeout.count()),
      "--keepalive-timeout=" + std::to_string(limits.keepalive_timeout.count()),
      "--io-timeout=" + std::to_string(limits.io_timeout.count()),
      "--http2-max-streams=" + std::to_string(limits.http2_max_concurrent_streams),
      "--http2-stream-window=" + std::to_string(limits.http2_stream_window),
      "--http2-connection-window=" + std::to_string(limits.http2_connection_window),
      "--drain-timeout=" + std::to_string(options.drain_timeout.count()),
      "--threads=" + std::to_string(options.threads),
      "--control-fd=" + std::to_string(options.control_fd),
  };
  // Without the flag the worker reads web.config's limit itself, so that a
  // new worker after a web.config edit has the new one.
  if (limits.max_body_bytes_override) {
    args.push_back("--max-body-bytes=" + std::to_string(*limits.max_body_bytes_override));
  }
  for (int fd : options.listen_fds) args.push_back("--listen-fd=" + std::to_string(fd));
  for (int fd : options.tls_listen_fds) args.push_back("--tls-listen-fd=" + std::to_string(fd));
  append_tls_arguments(options.tls, args);
  if (!options.start_failure.empty()) args.push_back("--start-failure=" + options.start_failure);
  if (options.access_log.enabled()) {
    args.push_back("--access-log=" + options.access_log.path.string());
    args.push_back(std::string("--access-log-format=") + to_string(options.access_log.format));
  }
  for (int fd : options.admin_listen_fds) {
    args.push_back("--admin-listen-fd=" + std::to_string(fd));
  }
  args.push_back("--recycles=" + std::to_string(options.recycles));
  return args;
}

std::string run_flags_help() {
  HttpLimits d;
  UnixSocketOptions u;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", u.mode);
  return "  Sizes (N bytes) take a unit: 10MB is 10,000,000 bytes, 10MiB (or nginx's 10m)\n"
         "  10,485,760; KB, GB, KiB, GiB, k and g likewise.\n"
         "  --listen URL              http://IPv4:port or http://[IPv6]:port, https://\n"
         "                            the same over TLS; repeatable (default: sockets\n"
         "                            passed by systemd (LISTEN_FDS), else\n"
         "                            http://127.0.0.1:8080). As Kestrel: localhost is\n"
         "                            127.0.0.1 and ::1; *, + or a host name is every\n"
         "                            address, as [::] is (IPv6 and IPv4).\n"
         "                            http://unix:/abs/path.sock (or https://, or\n"
         "                            nginx's unix:/abs/path.sock) is a Unix domain\n"
         "                            socket: a stale socket file is replaced, one a\n"
         "                            server answers on or a non-socket is refused; the\n"
         "                            file is removed when ancm-host exits\n"
         "  --urls \"URL;URL\"          the same, ';'-separated (ASPNETCORE_URLS's form)\n"
         "  --unix-socket-mode MODE   octal mode of the unix: socket files (default " +
         std::string(mode) +
         ":\n"
         "                            owner and group may connect, whatever the umask;\n"
         "                            put the front proxy in the group)\n"
         "  --unix-socket-group NAME  group of the unix: socket files (default: the\n"
         "                            user's)\n"
         "  --tls-cert FILE           https:// certificate, PEM (the chain after it)\n"
         "  --tls-key FILE            its private key, PEM\n"
         "  --tls-key-passphrase-file FILE  the key's passphrase (first line), for an\n"
         "                            encrypted key\n"
         "  --tls-cert-dir DIR        more certificates, chosen by SNI: NAME.pem +\n"
         "                            NAME.key, matched by NAME and the certificate's\n"
         "                            names (*.example.com too); others get --tls-cert\n"
         "  --client-cert MODE        none, allow or require a client certificate\n"
         "                            (default none)\n"
         "  --tls-client-ca FILE      CAs a client certificate must chain to (default:\n"
         "                            any is taken, the application judges it)\n"
         "  --max-header-bytes N      request line + headers, else 431 (default " +
         std::to_string(d.max_header_bytes) +
         ")\n"
         "  --max-uri-bytes N         request target, else 414 (default " +
         std::to_string(d.max_uri_bytes) +
         ")\n"
         "  --max-header-count N      header fields in a request, else 431 (default " +
         std::to_string(d.max_header_count) +
         ")\n"
         "  --max-body-bytes N        request body, else 413 (default: web.config's\n"
         "                            requestLimits maxAllowedContentLength, " +
         std::to_string(d.max_body_bytes) +
         ")\n"
         "  --header-timeout S        to receive a request's headers; the first request's from\n"
         "                            accept, TLS handshake included (default " +
         std::to_string(d.header_timeout.count()) +
         ")\n"
         "  --keepalive-timeout S     idle connection between requests (default " +
         std::to_string(d.keepalive_timeout.count()) +
         ")\n"
         "  --io-timeout S            one stalled body read or write (default " +
         std::to_string(d.io_timeout.count()) +
         ")\n"
         "  --http2-max-streams N     concurrent HTTP/2 streams per connection (default " +
         std::to_string(d.http2_max_concurrent_streams) +
         ")\n"
         "  --http2-stream-window N   HTTP/2 receive window per stream, bytes (default " +
         std::to_string(d.http2_stream_window) +
         ")\n"
         "  --http2-connection-window N  HTTP/2 receive window per connection (default " +
         std::to_string(d.http2_connection_window) +
         ")\n"
         "  --drain-timeout S         in-flight requests on stop (default: the app's\n"
         "                            shutdownTimeLimit)\n"
         "  --threads N               worker I/O threads (default: one per core)\n"
         "  --access-log PATH|-       one line per request, appended to PATH (or stdout);\n"
         "                            SIGUSR1 to the master reopens it (logrotate)\n"
         "                            (default: off)\n"
         "  --access-log-format F     w3c (IIS's W3C extended fields) or combined\n"
         "                            (nginx's) (default w3c)\n"
         "  --admin-listen ADDR:PORT  serve /metrics (Prometheus) and /healthz there,\n"
         "                            never on the app's listeners (default: off)\n";
}

}  // namespace ancm::server
