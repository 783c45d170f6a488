#pragma once
// Access to a server with a token: the token itself (configured, or created for a server that
// listens beyond loopback), and signed, expiring download links that work without it, so
// BitTorrent clients (web seeds) and shared links need no secret.
#include <chrono>
#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace chronicle::sys {

// The raw (binary) HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(const std::string& key, const std::string& data);

// The token stored in `file` (0600), if the file exists; "" if it does not.
Result<std::string> read_token_file(const std::filesystem::path& file);
// A new random token written to `file` with mode 0600 (the file must not exist yet).
Result<std::string> create_token_file(const std::filesystem::path& file);

// Everything chronicle keeps under `data_dir` is its own: the database with SQLite's WAL and SHM,
// the token, cookies, keys, logs and recordings. Sets this process's umask to 077 (so that what it
// and its tools create from here on is private, whatever umask it was started with), creates the
// directory 0700 if it is missing, and makes private what an older chronicle left readable: the
// directory and the directories and secrets in it (not every recording: the directory, 0700,
// already closes them).
Result<Ok> keep_data_dir_private(const std::filesystem::path& data_dir);

class LinkSigner {
 public:
  // No signing (and no checking: every link is accepted) when `token` is empty.
  explicit LinkSigner(const std::string& token);

  bool enabled() const { return !key_.empty(); }
  // "?exp=UNIX&sig=HEX" for `what` ("recording", "torrent") of job `job_id`, valid for `ttl`.
  std::string query(const std::string& job_id, const std::string& what, std::chrono::seconds ttl,
                    std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
  // Whether `exp` and `sig` (from a query) are a valid, unexpired signature for the link.
  bool valid(const std::string& job_id, const std::string& what, const std::string& exp, const std::string& sig,
             std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  std::string signature(const std::string& job_id, const std::string& what, const std::string& exp) const;
  std::string key_;  // derived from the token: a link never reveals the token itself
};

}  // namespace chronicle::sys
