#include "sys/process.hpp"

#include <sys/resource.h>

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

extern char** environ;

namespace chronicle::sys {

namespace {

bool tool_may_see(const std::string& name) {
  static const std::set<std::string> kNames = {"PATH",
                                               "HOME",
                                               "USER",
                                               "LOGNAME",
                                               "LANG",
                                               "LANGUAGE",
                                               "TZ",
                                               "TMPDIR",
                                               "TERM",
                                               "SSL_CERT_FILE",
                                               "SSL_CERT_DIR",
                                               "REQUESTS_CA_BUNDLE",
                                               "CURL_CA_BUNDLE",
                                               "XDG_CACHE_HOME",
                                               "XDG_CONFIG_HOME",
                                               "http_proxy",
                                               "https_proxy",
                                               "no_proxy",
                                               "HTTP_PROXY",
                                               "HTTPS_PROXY",
                                               "NO_PROXY",
                                               "ALL_PROXY",
                                               "all_proxy"};
  return kNames.count(name) > 0 || name.starts_with("LC_");
}

}  // namespace

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

ExitStatus decode(int status) {
  ExitStatus s;
  s.exited = true;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

}  // namespace

Result<Child> spawn(const SpawnOptions& o) {
  if (o.argv.empty()) return make_error("spawn_failed", "empty command");

  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(0, eq);
    if (o.inherit_environment || tool_may_see(name)) env_map[name] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : o.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  env_strings.reserve(env_map.size());
  for (const auto& [k, v] : env_map) env_strings.push_back(std::string(k).append("=").append(v));
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, exec_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd :
         {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], exec_pipe[0], exec_pipe[1]})
      if (fd >= 0) ::close(fd);
  };
  if ((o.pipe_stdin && pipe2(in_pipe, O_CLOEXEC) != 0) || (o.capture_stdout && pipe2(out_pipe, O_CLOEXEC) != 0) ||
      (o.capture_stderr && pipe2(err_pipe, O_CLOEXEC) != 0) || pipe2(exec_pipe, O_CLOEXEC) != 0) {
    close_all();
    return make_error("spawn_failed", errno_text("pipe"));
  }
  int out_file = -1;
  if (o.output_file) {
    out_file = ::open(o.output_file->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_file < 0) {
      close_all();
      return make_error("spawn_failed", errno_text("open " + o.output_file->string()));
    }
  }
  const std::string cwd = o.cwd ? o.cwd->string() : std::string();
  const std::string program = o.argv[0];
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    close_all();
    if (out_file >= 0) ::close(out_file);
    return make_error("spawn_failed", errno_text("fork"));
  }
  if (pid == 0) {
    if (o.new_session)
      setsid();
    else if (o.new_process_group)
      setpgid(0, 0);
    if (o.parent_death_signal) {
      prctl(PR_SET_PDEATHSIG, *o.parent_death_signal);
      if (getppid() != parent) _exit(127);
    }
    int devnull = ::open("/dev/null", O_RDWR);
    dup2(o.pipe_stdin ? in_pipe[0] : devnull, 0);
    if (o.capture_stdout)
      dup2(out_pipe[1], 1);
    else
      dup2(out_file >= 0 ? out_file : devnull, 1);
    if (o.capture_stderr)
      dup2(err_pipe[1], 2);
    else
      dup2(out_file >= 0 ? out_file : devnull, 2);
    // Signals ignored or blocked by the parent must not leak into the child.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    // Descriptors of the parent (its listening socket, the database) must not leak into a
    // child that may outlive it: a recorder holding serve's socket would block its restart.
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      for (int fd = 3; fd < 65536; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      int e = errno;
      (void)!write(exec_pipe[1], &e, sizeof e);
      _exit(127);
    }
    execvpe(program.c_str(), argv.data(), envp.data());
    int e = errno;
    (void)!write(exec_pipe[1], &e, sizeof e);
    _exit(127);
  }

  ::close(exec_pipe[1]);
  exec_pipe[1] = -1;
  if (out_file >= 0) ::close(out_file);
  int child_errno = 0;
  ssize_t n;
  do n = ::read(exec_pipe[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  exec_pipe[0] = -1;
  if (n == sizeof child_errno) {
    waitpid(pid, nullptr, 0);
    close_all();
    return make_error("spawn_failed", "cannot run '" + program + "': " + std::strerror(child_errno));
  }

  Child child;
  child.pid = pid;
  if (o.pipe_stdin) {
    ::close(in_pipe[0]);
    child.stdin_fd = in_pipe[1];
  }
  if (o.capture_stdout) {
    ::close(out_pipe[1]);
    child.stdout_fd = out_pipe[0];
  }
  if (o.capture_stderr) {
    ::close(err_pipe[1]);
    child.stderr_fd = err_pipe[0];
  }
  return child;
}

ExitStatus wait_for(pid_t pid) {
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return ExitStatus{true, -1, 0};
  return decode(status);
}

ExitStatus try_wait(pid_t pid) {
  int status = 0;
  const pid_t r = waitpid(pid, &status, WNOHANG);
  if (r == 0) return ExitStatus{};
  if (r < 0) return ExitStatus{true, -1, 0};
  return decode(status);
}

bool is_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

std::string describe(const ExitStatus& s) {
  if (s.signal) return std::string("killed by signal ") + strsignal(s.signal);
  return "exit code " + std::to_string(s.code);
}

Result<CaptureResult> run_capture(const SpawnOptions& options, std::chrono::milliseconds timeout,
                                  std::size_t max_output) {
  SpawnOptions o = options;
  o.capture_stdout = true;
  o.capture_stderr = true;
  o.new_process_group = true;
  auto child = spawn(o);
  if (!child) return child.error();

  CaptureResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{child->stdout_fd, POLLIN, 0}, {child->stderr_fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[16384];
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(-child->pid, SIGKILL);
      break;
    }
    const int r = ::poll(fds, 2, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else if (sinks[i]->size() < max_output) {
        sinks[i]->append(buf, static_cast<std::size_t>(got));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  result.status = wait_for(child->pid);
  return result;
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "chronicle";
  // After an upgrade replaced the binary, the link reads "... (deleted)": the new file at the
  // same path is the one to run.
  std::string s = p.string();
  constexpr std::string_view kDeleted = " (deleted)";
  if (s.ends_with(kDeleted)) s.resize(s.size() - kDeleted.size());
  return s;
}

std::size_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace chronicle::sys
