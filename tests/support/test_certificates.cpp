#include "test_certificates.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace ancm::test {
namespace {

// Runs `openssl args...` and waits; throws with its output when it fails.
void run_openssl(std::vector<std::string> args, const std::filesystem::path& log) {
  args.insert(args.begin(), "openssl");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork for openssl failed");
  if (pid == 0) {
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execvp("openssl", argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string command;
  for (const auto& arg : args) command += arg + " ";
  throw std::runtime_error(command + "failed: " + read_file(log));
}

std::vector<std::string> new_ec_key(const std::filesystem::path& key) {
  return {"-newkey", "ec",      "-pkeyopt",  "ec_paramgen_curve:prime256v1",
          "-nodes",  "-keyout", key.string()};
}

}  // namespace

TestCertificates::TestCertificates() {
  ca_ = {dir_ / "ca.pem", dir_ / "ca.key"};
  std::vector<std::string> args = {"req", "-x509"};
  for (auto& arg : new_ec_key(ca_.key)) args.push_back(arg);
  std::vector<std::string> rest = {"-out",    ca_.certificate.string(),
                                   "-days",   "30",
                                   "-subj",   "/CN=ancm-host test CA",
                                   "-addext", "basicConstraints=critical,CA:TRUE",
                                   "-addext", "keyUsage=critical,keyCertSign,cRLSign"};
  args.insert(args.end(), rest.begin(), rest.end());
  run_openssl(args, dir_ / "openssl.log");
}

TestCertificate TestCertificates::issue(const std::string& file_stem,
                                        const std::vector<std::string>& names,
                                        const std::filesystem::path& folder) {
  auto where = folder.empty() ? dir_.path() : folder;
  TestCertificate issued{where / (file_stem + ".pem"), where / (file_stem + ".key")};
  auto request = dir_ / (file_stem + ".csr");
  auto extensions = dir_ / (file_stem + ".ext");
  std::string san = "subjectAltName=";
  for (const auto& name : names) san += (san.back() == '=' ? "DNS:" : ",DNS:") + name;
  write_file(extensions,
             san + "\nbasicConstraints=CA:FALSE\n" + "extendedKeyUsage=serverAuth,clientAuth\n");
  std::vector<std::string> args = {"req"};
  for (auto& arg : new_ec_key(issued.key)) args.push_back(arg);
  std::vector<std::string> rest = {"-out", request.string(), "-subj", "/CN=" + names.front()};
  args.insert(args.end(), rest.begin(), rest.end());
  run_openssl(args, dir_ / "openssl.log");
  run_openssl({"x509", "-req", "-in", request.string(), "-CA", ca_.certificate.string(), "-CAkey",
               ca_.key.string(), "-set_serial", std::to_string(++serial_), "-days", "30",
               "-extfile", extensions.string(), "-out", issued.certificate.string()},
              dir_ / "openssl.log");
  return issued;
}

std::filesystem::path TestCertificates::encrypt_key(const TestCertificate& certificate,
                                                    const std::string& passphrase) {
  auto encrypted = certificate.key;
  encrypted.replace_extension(".encrypted.key");
  run_openssl({"pkey", "-in", certificate.key.string(), "-aes256", "-passout", "pass:" + passphrase,
               "-out", encrypted.string()},
              dir_ / "openssl.log");
  return encrypted;
}

}  // namespace ancm::test
