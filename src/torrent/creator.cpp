#include "torrent/creator.hpp"
#include "core/hex.hpp"

#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/torrent_info.hpp>

#include <sstream>

namespace chronicle::torrent {
namespace lt = libtorrent;

namespace {}  // namespace

Result<TorrentFile> make_torrent(const TorrentSpec& spec, const PieceHashes& hashes) {
  try {
    lt::file_storage fs;
    fs.add_file(spec.file_name, static_cast<std::int64_t>(spec.file_size));
    lt::create_flags_t flags{};
    if (hashes.v2.empty()) flags |= lt::create_torrent::v1_only;
    if (hashes.v1.empty()) flags |= lt::create_torrent::v2_only;
    lt::create_torrent ct(fs, static_cast<int>(spec.piece_size), flags);
    for (std::size_t i = 0; i < hashes.v1.size(); ++i)
      ct.set_hash(lt::piece_index_t(static_cast<int>(i)),
                  lt::sha1_hash(reinterpret_cast<const char*>(hashes.v1[i].data())));
    for (std::size_t i = 0; i < hashes.v2.size(); ++i)
      ct.set_hash2(lt::file_index_t(0), lt::piece_index_t::diff_type(static_cast<int>(i)),
                   lt::sha256_hash(reinterpret_cast<const char*>(hashes.v2[i].data())));
    int tier = 0;
    for (const auto& t : spec.trackers) ct.add_tracker(t, tier++);
    for (const auto& w : spec.web_seeds) ct.add_url_seed(w);
    if (!spec.comment.empty()) ct.set_comment(spec.comment.c_str());
    ct.set_creator(spec.creator.c_str());
    ct.set_creation_date(std::time(nullptr));

    TorrentFile out;
    lt::bencode(std::back_inserter(out.bencoded), ct.generate());
    lt::error_code ec;
    lt::torrent_info ti(out.bencoded.data(), static_cast<int>(out.bencoded.size()), ec);
    if (ec) return make_error("torrent_error", "the generated torrent does not parse: " + ec.message());
    const auto ih = ti.info_hashes();
    if (ih.has_v1()) out.infohash_v1 = to_hex(ih.v1.data(), ih.v1.size());
    if (ih.has_v2()) out.infohash_v2 = to_hex(ih.v2.data(), ih.v2.size());
    out.magnet = lt::make_magnet_uri(ti);
    return out;
  } catch (const std::exception& e) {
    return make_error("torrent_error", std::string("cannot create the torrent: ") + e.what());
  }
}

TorrentInfo torrent_info(const TorrentFile& t, const TorrentSpec& spec, const std::string& key,
                         const std::string& url) {
  return {key, t.infohash_v1, t.infohash_v2, t.magnet, url, spec.trackers, spec.web_seeds, spec.piece_size};
}

}  // namespace chronicle::torrent
