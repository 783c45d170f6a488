// The egress guard against real sockets: an allowed server on 127.0.0.2 and a forbidden one on
// 127.0.0.3 (Linux routes all of 127/8 to loopback), with only 127.0.0.2/32 allowed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "egress/proxy.hpp"

using namespace chronicle;

namespace {

int listen_on(const char* ip, std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) return -1;
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_all(int fd, const std::string& s) {
  ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size()));
}

std::string read_until_closed(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

// Answers each connection: echoes what a CONNECT tunnel sends, or answers an HTTP request with
// the request it saw as the body (so the test can read what the proxy forwarded).
struct Server {
  std::uint16_t port = 0;
  int fd = -1;
  std::atomic<int> accepted{0};
  std::thread thread;

  explicit Server(const char* ip) {
    fd = listen_on(ip, port);
    thread = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) return;
        ++accepted;
        char buf[8192];
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        const std::string got(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        std::string answer = got.starts_with("ping")
                                 ? "pong:" + got
                                 : "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(got.size()) +
                                       "\r\nKeep-Alive: timeout=5\r\n\r\n" + got;
        ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~Server() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    thread.join();
  }
};

class Guard : public ::testing::Test {
 protected:
  void SetUp() override {
    UrlPolicy policy;
    policy.allowed_networks = parse_networks("127.0.0.2/32").value();
    auto started = egress::EgressProxy::start(policy, [this](const egress::Refusal&) { ++refusals; });
    ASSERT_TRUE(started.ok()) << started.error().message;
    proxy = std::move(started.value());
    const auto url = proxy->url();
    proxy_port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
    // http://chronicle:PASSWORD@127.0.0.1:PORT: the job's tools present it as Basic credentials.
    const auto user_password = url.substr(7, url.rfind('@') - 7);
    std::string encoded(4 * ((user_password.size() + 2) / 3), '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                    reinterpret_cast<const unsigned char*>(user_password.data()),
                    static_cast<int>(user_password.size()));
    credential = "Proxy-Authorization: Basic " + encoded + "\r\n";
  }
  // The request with the job's credential after its first line.
  std::string with_credential(std::string request) const {
    const auto line_end = request.find("\r\n");
    if (line_end != std::string::npos) request.insert(line_end + 2, credential);
    return request;
  }
  std::string ask(const std::string& request) { return ask_as_stranger(with_credential(request)); }
  std::string ask_as_stranger(const std::string& request) {
    const int fd = connect_to(proxy_port);
    EXPECT_GE(fd, 0);
    send_all(fd, request);
    auto answer = read_until_closed(fd);
    ::close(fd);
    return answer;
  }
  Server allowed{"127.0.0.2"};
  Server forbidden{"127.0.0.3"};
  std::unique_ptr<egress::EgressProxy> proxy;
  std::uint16_t proxy_port = 0;
  std::string credential;
  std::atomic<int> refusals{0};
};

}  // namespace

TEST_F(Guard, ConnectTunnelsToAnAllowedAddress) {
  const int fd = connect_to(proxy_port);
  send_all(fd, with_credential("CONNECT 127.0.0.2:" + std::to_string(allowed.port) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  char buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_TRUE(std::string(buf, static_cast<std::size_t>(n)).starts_with("HTTP/1.1 200"));
  send_all(fd, "ping-tls-bytes");
  EXPECT_EQ(read_until_closed(fd), "pong:ping-tls-bytes");
  ::close(fd);
  EXPECT_EQ(proxy->stats().refused, 0u);
}

TEST_F(Guard, OnlyTheJobsOwnToolsMayUseIt) {
  // Another local user's program that finds the port: no credential, or a wrong one, gets 407
  // before anything is resolved or connected.
  const std::string connect = "CONNECT 127.0.0.2:" + std::to_string(allowed.port) + " HTTP/1.1\r\n";
  const std::string get = "GET http://127.0.0.2:" + std::to_string(allowed.port) + "/x HTTP/1.1\r\n";
  for (const auto& request :
       {connect + "\r\n", get + "\r\n", connect + "Proxy-Authorization: Basic Y2hyb25pY2xlOndyb25n\r\n\r\n",
        get + "Proxy-Authorization: " + credential.substr(21, credential.size() - 23) + "x\r\n\r\n"}) {
    const auto answer = ask_as_stranger(request);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 407")) << answer;
    EXPECT_NE(answer.find("Proxy-Authenticate: Basic"), std::string::npos) << answer;
  }
  EXPECT_EQ(allowed.accepted, 0);
  EXPECT_EQ(proxy->url().find("@127.0.0.1:"), proxy->url().find('@')) << "the URL carries the credential";
}

TEST_F(Guard, ConnectToAForbiddenAddressIsRefusedBeforeAnyConnection) {
  const auto answer = ask("CONNECT 127.0.0.3:" + std::to_string(forbidden.port) + " HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 403")) << answer;
  EXPECT_NE(answer.find("127.0.0.3"), std::string::npos) << answer;
  ASSERT_TRUE(proxy->first_refusal());
  EXPECT_EQ(proxy->first_refusal()->address, "127.0.0.3");
  EXPECT_EQ(refusals, 1);
  EXPECT_EQ(forbidden.accepted, 0);
}

TEST_F(Guard, PlainHttpIsForwardedOneRequestPerConnection) {
  const auto answer = ask("GET http://127.0.0.2:" + std::to_string(allowed.port) +
                          "/live/index.m3u8?a=1 HTTP/1.1\r\nHost: 127.0.0.2\r\nProxy-Connection: keep-alive\r\n"
                          "Proxy-Authorization: Basic eDp5\r\nUser-Agent: t\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << "the downloader is told the connection ends";
  EXPECT_EQ(answer.find("Keep-Alive"), std::string::npos);
  // What the server saw: origin-form, hop-by-hop fields gone, Connection: close.
  EXPECT_NE(answer.find("GET /live/index.m3u8?a=1 HTTP/1.1\r\n"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("Proxy-"), std::string::npos) << answer;
  EXPECT_NE(answer.find("User-Agent: t\r\n"), std::string::npos);
}

TEST_F(Guard, NamesAreCheckedOnTheAddressTheyResolveTo) {
  const auto answer = ask("GET http://localhost:" + std::to_string(forbidden.port) + "/ HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 403")) << answer;
  EXPECT_NE(answer.find("loopback"), std::string::npos);
  EXPECT_EQ(forbidden.accepted, 0);
}

TEST_F(Guard, WhatIsNotAProxyRequestGets400) {
  EXPECT_TRUE(ask("GET /relative HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(ask("GET ftp://127.0.0.2/x HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(ask("CONNECT nohost HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(ask("garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_EQ(forbidden.accepted + allowed.accepted, 0);
}
