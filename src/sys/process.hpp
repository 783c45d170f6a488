#pragma once
// Child processes, always from an argv vector (never through a shell).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace chronicle::sys {

// Owns a file descriptor and closes it when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ~UniqueFd();
  int get() const { return fd_; }

 private:
  int fd_;
};

struct SpawnOptions {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // added to / replacing the inherited environment
  // Tools (yt-dlp, ffmpeg, opentracker) get only what a program needs to run (PATH, HOME,
  // locale, time zone, temp dir, CA bundles, proxies): never chronicle's token or cloud
  // credentials. chronicle's own roles (a recorder) inherit everything.
  bool inherit_environment = false;
  std::optional<std::filesystem::path> cwd;
  bool new_session = false;        // setsid(): survives the parent's terminal and process group
  bool new_process_group = false;  // setpgid(0,0): lets us signal the child and its children together
  std::optional<int> parent_death_signal;
  bool pipe_stdin = false;  // Child::stdin_fd writes to the child's stdin (else /dev/null)
  bool capture_stdout = false;
  bool capture_stderr = false;
  std::optional<std::filesystem::path> output_file;  // stdout and stderr appended here when not captured
};

struct Child {
  pid_t pid = -1;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

Result<Child> spawn(const SpawnOptions& options);

struct ExitStatus {
  bool exited = false;  // false: still running (for try_wait)
  int code = -1;        // exit code, or -1 when killed by a signal
  int signal = 0;
};

ExitStatus wait_for(pid_t pid);
ExitStatus try_wait(pid_t pid);  // WNOHANG
bool is_alive(pid_t pid);        // kill(pid, 0)
std::string describe(const ExitStatus& status);

struct CaptureResult {
  ExitStatus status;
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs to completion (or kills the whole process group at `timeout`), capturing output up
// to `max_output` bytes per stream.
Result<CaptureResult> run_capture(const SpawnOptions& options, std::chrono::milliseconds timeout,
                                  std::size_t max_output = 8 << 20);

// Absolute path of this executable, so children can run `chronicle record`.
std::filesystem::path self_executable();

// Raises the soft limit on open descriptors to the hard limit; returns the limit now in force.
std::size_t raise_descriptor_limit();

}  // namespace chronicle::sys
