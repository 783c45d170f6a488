#include "http/metrics.hpp"

#include <sstream>

namespace chronicle::http {

void Metrics::count_request(const std::string& method, unsigned status) {
  std::lock_guard lock(mutex_);
  ++requests_[{method, status}];
}

std::string Metrics::render(const std::optional<JobTotals>& jobs,
                            const std::map<std::string, std::uint64_t>& extra) const {
  std::ostringstream out;
  out << "# HELP chronicle_up Whether the server is serving.\n# TYPE chronicle_up gauge\nchronicle_up 1\n";
  out << "# HELP chronicle_uptime_seconds Seconds since the server started.\n# TYPE chronicle_uptime_seconds gauge\n"
      << "chronicle_uptime_seconds "
      << std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count() << "\n";
  out << "# HELP chronicle_jobs Jobs by status.\n# TYPE chronicle_jobs gauge\n";
  if (jobs) {
    for (const auto& [status, n] : jobs->by_status)
      out << "chronicle_jobs{status=\"" << to_string(status) << "\"} " << n << "\n";
    out << "# HELP chronicle_recording_bytes Bytes recorded so far by jobs that are recording.\n"
        << "# TYPE chronicle_recording_bytes gauge\nchronicle_recording_bytes " << jobs->recording_bytes << "\n";
  }
  out << "# HELP chronicle_sse_clients Connected event-stream clients.\n# TYPE chronicle_sse_clients gauge\n"
      << "chronicle_sse_clients " << sse_clients.load() << "\n";
  out << "# HELP chronicle_sse_events_total Events written to event-stream clients.\n"
      << "# TYPE chronicle_sse_events_total counter\nchronicle_sse_events_total " << events_sent.load() << "\n";
  for (const auto& [name, value] : extra) out << "# TYPE " << name << " counter\n" << name << " " << value << "\n";
  out << "# HELP chronicle_http_requests_total HTTP requests by method and status.\n"
      << "# TYPE chronicle_http_requests_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [key, n] : requests_)
    out << "chronicle_http_requests_total{method=\"" << key.first << "\",code=\"" << key.second << "\"} " << n << "\n";
  return out.str();
}

}  // namespace chronicle::http
