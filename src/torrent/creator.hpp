#pragma once
// Turns piece hashes into a .torrent with libtorrent: hybrid v1+v2 by default, trackers,
// a BEP 19 web seed, comment, creator, creation date.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/job.hpp"
#include "core/result.hpp"
#include "torrent/hasher.hpp"

namespace chronicle::torrent {

struct TorrentSpec {
  std::string file_name;  // the single file's name inside the torrent
  std::uint64_t file_size = 0;
  std::uint32_t piece_size = 0;
  std::vector<std::string> trackers;  // one tier each, in order
  std::vector<std::string> web_seeds;
  std::string comment;
  std::string creator = "chronicle";
};

struct TorrentFile {
  std::string bencoded;
  std::string infohash_v1;  // hex, empty for v2-only
  std::string infohash_v2;  // hex, empty for v1-only
  std::string magnet;
};

Result<TorrentFile> make_torrent(const TorrentSpec& spec, const PieceHashes& hashes);

// What the job carries about its torrent.
TorrentInfo torrent_info(const TorrentFile& t, const TorrentSpec& spec, const std::string& key, const std::string& url);

}  // namespace chronicle::torrent
