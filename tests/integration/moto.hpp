#pragma once
// A moto_server (the local AWS emulator installed on these machines) on a loopback port,
// started once per test suite and stopped after it.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "aws/aws.hpp"
#include "sys/process.hpp"

namespace chronicle::test_support {

// A port for moto_server, which binds it a second later. Not one the kernel hands out (it hands
// the same ephemeral ports to outgoing connections and to the next test running beside this one):
// a random port below the ephemeral range, checked free.
inline int free_port() {
  int ephemeral_low = 32768;
  if (FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (std::fscanf(f, "%d", &ephemeral_low) != 1) ephemeral_low = 32768;
    std::fclose(f);
  }
  std::mt19937 pick{std::random_device{}()};
  std::uniform_int_distribution<int> below_ephemeral(std::min(10000, ephemeral_low / 2), ephemeral_low - 1);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = below_ephemeral(pick);
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool free = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    if (free) return port;
  }
  return 0;
}

inline std::string http_get(const std::string& url, long* status) {
  std::string body;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
        static_cast<std::string*>(u)->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  curl_easy_cleanup(c);
  return body;
}

// One moto_server per test program: started by the first test that needs it, stopped by its PID
// when the program's tests end (a gtest environment, registered on first use).
class MotoServer : public ::testing::Environment {
 public:
  static aws::Settings settings() {
    start();
    aws::Settings s;
    s.endpoint = "http://127.0.0.1:" + std::to_string(port_);
    s.access_key = "testing";
    s.secret_key = "testing";
    return s;
  }
  static void start() {
    if (pid_ > 0) return;
    ::testing::AddGlobalTestEnvironment(new MotoServer);
    port_ = free_port();
    if (std::system("command -v moto_server > /dev/null 2>&1") != 0)
      FAIL() << "moto_server is not installed: the AWS adapter tests run against it "
                "(scripts/install-deps.sh installs it in a virtual environment when it is missing)";
    sys::SpawnOptions o;
    o.argv = {"moto_server", "-H", "127.0.0.1", "-p", std::to_string(port_)};
    o.new_process_group = true;
    auto child = sys::spawn(o);
    ASSERT_TRUE(child.ok()) << child.error().message;
    pid_ = child->pid;
    for (int i = 0; i < 150; ++i) {
      long status = 0;
      http_get("http://127.0.0.1:" + std::to_string(port_) + "/moto-api/", &status);
      if (status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "moto_server did not start";
  }
  void TearDown() override {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    sys::wait_for(pid_);
    pid_ = -1;
  }

 private:
  static inline int port_ = 0;
  static inline pid_t pid_ = -1;
};

class MotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { MotoServer::start(); }
  static aws::Settings settings() { return MotoServer::settings(); }
};

}  // namespace chronicle::test_support
