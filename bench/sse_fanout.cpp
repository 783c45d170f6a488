// SSE fan-out latency: N clients hold `GET /api/v1/events` open on a running `chronicle serve`,
// while this process writes to the same SQLite store through a connection of its own, as a
// recorder process does. Each write renames one job ("tick-K"); the latency of a client is the
// time from just before the write to the moment the frame carrying "tick-K" has arrived.
//
//   bench_sse_fanout DATA_DIR PORT CLIENTS [WRITES=50] [INTERVAL_MS=200]
//
// Prints one JSON line: clients, writes, frames received, p50/p99/max latency in ms.
#include <utility>

#include <boost/asio.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "core/ports.hpp"
#include "store/sqlite/sqlite_job_store.hpp"

using namespace chronicle;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Ticks {
  std::mutex mutex;
  std::vector<SteadyClock::time_point> written;  // index: tick number
};

struct Client : std::enable_shared_from_this<Client> {
  Client(asio::io_context& io, Ticks& written, std::vector<double>& measured, std::mutex& measured_mutex)
      : socket(io), ticks(written), latencies(measured), latencies_mutex(measured_mutex) {}
  tcp::socket socket;
  Ticks& ticks;
  std::vector<double>& latencies;
  std::mutex& latencies_mutex;
  std::array<char, 64 * 1024> buffer{};
  std::string carry;  // the end of the last read, in case a marker was split across reads
  bool connected = false;

  void start(const tcp::endpoint& server, std::atomic<std::size_t>& connected_count) {
    socket.async_connect(server, [self = shared_from_this(), &connected_count](boost::system::error_code ec) {
      if (ec) {
        std::cerr << "connect: " << ec.message() << "\n";
        return;
      }
      static const std::string request = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      asio::write(self->socket, asio::buffer(request), ec);
      ++connected_count;
      self->read();
    });
  }

  void read() {
    socket.async_read_some(
        asio::buffer(buffer), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec) return;
          const auto arrived = SteadyClock::now();
          std::string text = self->carry + std::string(self->buffer.data(), n);
          static const std::string marker = "\"tick-";
          for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
            const auto end = text.find('"', at + marker.size());
            if (end == std::string::npos) break;
            const auto tick = std::stoul(text.substr(at + marker.size(), end - at - marker.size()));
            SteadyClock::time_point written;
            {
              std::lock_guard lock(self->ticks.mutex);
              if (tick >= self->ticks.written.size()) continue;
              written = self->ticks.written[tick];
            }
            std::lock_guard lock(self->latencies_mutex);
            self->latencies.push_back(std::chrono::duration<double, std::milli>(arrived - written).count());
          }
          self->carry = text.size() > 64 ? text.substr(text.size() - 64) : text;
          self->read();
        });
  }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100 * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: bench_sse_fanout DATA_DIR PORT CLIENTS [WRITES] [INTERVAL_MS]\n";
    return 2;
  }
  const std::filesystem::path data = argv[1];
  const auto port = static_cast<unsigned short>(std::stoi(argv[2]));
  const std::size_t clients = std::stoul(argv[3]);
  const std::size_t writes = argc > 4 ? std::stoul(argv[4]) : 50;
  const int interval_ms = argc > 5 ? std::stoi(argv[5]) : 200;

  auto db = sqlite::Db::open(data / "chronicle.db");
  if (!db) {
    std::cerr << db.error().message << "\n";
    return 1;
  }
  auto store = std::move(*sqlite::SqliteJobStore::open(*db));
  Job job;
  job.id = new_job_id();
  job.url = "http://127.0.0.1/sse-bench/" + job.id;
  job.created_at = now();
  auto created = store->create_or_get_active(job);
  if (!created) {
    std::cerr << created.error().message << "\n";
    return 1;
  }
  // A finished job: nothing in serve acts on it, so the only writes are this bench's.
  if (!update_job(*store, job.id, [](Job& j) { return transition(j, JobStatus::canceled, now()); })) return 1;

  asio::io_context io;
  Ticks ticks;
  std::vector<double> latencies;
  std::mutex latencies_mutex;
  std::atomic<std::size_t> connected = 0;
  const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  std::vector<std::shared_ptr<Client>> all;
  for (std::size_t i = 0; i < clients; ++i) {
    all.push_back(std::make_shared<Client>(io, ticks, latencies, latencies_mutex));
    all.back()->start(server, connected);
  }
  std::thread network([&io] { io.run(); });
  for (int waited = 0; waited < 300; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (connected >= clients) break;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // subscriptions registered in serve

  for (std::size_t k = 0; k < writes; ++k) {
    {
      std::lock_guard lock(ticks.mutex);
      ticks.written.push_back(SteadyClock::now());
    }
    auto written = update_job(*store, job.id, [k](Job& j) -> Result<Ok> {
      j.name = "tick-" + std::to_string(k);
      return Ok{};
    });
    if (!written) std::cerr << "write: " << written.error().message << "\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  io.stop();
  network.join();

  std::lock_guard lock(latencies_mutex);
  std::printf(
      "{\"clients\": %zu, \"writes\": %zu, \"frames\": %zu, \"expected\": %zu, \"p50_ms\": %.1f, \"p99_ms\": %.1f, "
      "\"max_ms\": %.1f}\n",
      clients, writes, latencies.size(), clients * writes, percentile(latencies, 50), percentile(latencies, 99),
      percentile(latencies, 100));
  return 0;
}
