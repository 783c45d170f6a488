#include "dispatch/process_launcher.hpp"

#include <signal.h>

#include <fstream>
#include <iterator>

#include "record/probe.hpp"
#include "sys/process.hpp"

namespace chronicle::dispatch {

std::optional<pid_t> pid_from_ref(const std::string& ref) {
  if (!ref.starts_with("pid:")) return std::nullopt;
  try {
    return static_cast<pid_t>(std::stol(ref.substr(4)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<std::string> ProcessLauncher::launch(const Job& job, const std::string& extracted) {
  std::error_code ec;
  std::filesystem::create_directories(config_.logs_dir(), ec);
  sys::SpawnOptions o;
  o.argv = {sys::self_executable().string(), "record", "--job", job.id, "--data", config_.data_dir.string()};
  o.inherit_environment = true;  // the recorder is chronicle itself: its settings and credentials
  if (config_file_) {
    o.argv.emplace_back("--config");
    o.argv.push_back(config_file_->string());
  }
  // Settings given as flags to `serve` reach the recorder through its environment.
  o.env = {{"CHRONICLE_PUBLIC_URL", config_.effective_public_url()},
           {"CHRONICLE_YTDLP", config_.ytdlp},
           {"CHRONICLE_FFMPEG", config_.ffmpeg},
           {"CHRONICLE_YTDLP_FORMAT", config_.ytdlp_format},
           {"CHRONICLE_HEARTBEAT_INTERVAL", std::to_string(config_.heartbeat_interval_s)},
           {"CHRONICLE_HEARTBEAT_STALE", std::to_string(config_.heartbeat_stale_s)}};
  // The recorder is our own child: its environment is private to it (and it scrubs its tools').
  if (!extracted.empty()) o.env.emplace_back(std::string(record::kExtractedEnv), extracted);
  o.new_session = true;
  o.output_file = config_.logs_dir() / (job.id + ".log");
  auto child = sys::spawn(o);
  if (!child) return child.error();
  std::lock_guard lock(mutex_);
  children_.insert(child->pid);
  return "pid:" + std::to_string(child->pid);
}

Result<Ok> ProcessLauncher::request_stop(const Job& job) {
  auto pid = pid_from_ref(job.recorder_ref);
  if (!pid || *pid <= 1) return make_error("not_running", "no recorder process for job " + job.id);
  // After a restart the pid is not our child and may have been reused: only signal a
  // process whose command line is this job's recorder.
  std::ifstream cmdline("/proc/" + std::to_string(*pid) + "/cmdline");
  const std::string cmd((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  if (cmd.find(job.id) == std::string::npos)
    return make_error("not_running", "recorder of job " + job.id + " is not running");
  if (::kill(*pid, SIGTERM) != 0) return make_error("not_running", "recorder of job " + job.id + " is not running");
  return Ok{};
}

void ProcessLauncher::reap() {
  std::lock_guard lock(mutex_);
  for (auto it = children_.begin(); it != children_.end();) {
    if (sys::try_wait(*it).exited) {
      exited_.insert(*it);
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<bool> ProcessLauncher::has_exited(const std::string& ref) {
  auto pid = pid_from_ref(ref);
  if (!pid) return std::nullopt;
  reap();
  std::lock_guard lock(mutex_);
  if (exited_.count(*pid)) return true;
  if (children_.count(*pid)) return false;
  // Started by an earlier `serve`: a dead pid is certain, a live one may have been reused.
  if (!sys::is_alive(*pid)) return true;
  return std::nullopt;
}

}  // namespace chronicle::dispatch
