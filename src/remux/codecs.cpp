#include "remux/codecs.hpp"

#include <cstring>

namespace chronicle::remux {

namespace {

// The offset of the next 00 00 01 at or after `from`, or `size`. The search is for the 01 (libc's
// memchr passes over compressed data many bytes at a time), then for the two zeros before it.
std::size_t next_start_code(const std::uint8_t* data, std::size_t size, std::size_t from) {
  std::size_t i = from + 2;
  while (i < size) {
    const void* one = std::memchr(data + i, 1, size - i);
    if (one == nullptr) return size;
    i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(one) - data);
    if (data[i - 1] == 0 && data[i - 2] == 0) return i - 2;
    ++i;
  }
  return size;
}

// Reads an RBSP (emulation prevention bytes removed) bit by bit, for the parameter sets.
class BitReader {
 public:
  BitReader(const std::uint8_t* nal, std::size_t size) {
    bytes_.reserve(size);
    int zeros = 0;
    for (std::size_t i = 0; i < size; ++i) {
      if (zeros >= 2 && nal[i] == 3) {
        zeros = 0;
        continue;
      }
      zeros = nal[i] == 0 ? zeros + 1 : 0;
      bytes_.push_back(nal[i]);
    }
  }
  bool ok() const { return ok_; }
  unsigned bit() {
    if (pos_ >= bytes_.size() * 8) {
      ok_ = false;
      return 0;
    }
    const unsigned b = (bytes_[pos_ / 8] >> (7 - pos_ % 8)) & 1u;
    ++pos_;
    return b;
  }
  unsigned bits(int n) {
    unsigned v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | bit();
    return v;
  }
  std::uint32_t ue() {
    int zeros = 0;
    while (bit() == 0) {
      if (!ok_ || ++zeros > 31) {
        ok_ = false;
        return 0;
      }
    }
    return zeros == 0 ? 0 : ((1u << zeros) - 1) + bits(zeros);
  }
  std::int32_t se() {
    const std::uint32_t v = ue();
    return (v & 1) != 0 ? static_cast<std::int32_t>((v + 1) / 2) : -static_cast<std::int32_t>(v / 2);
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void skip_scaling_list(BitReader& r, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size && r.ok(); ++j) {
    if (next != 0) next = (last + r.se() + 256) % 256;
    last = next == 0 ? last : next;
  }
}

bool is_high_profile(unsigned profile) {
  switch (profile) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return true;
    default:
      return false;
  }
}

constexpr int kAdtsSampleRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                    22050, 16000, 12000, 11025, 8000,  7350};

}  // namespace

void split_annex_b(const std::uint8_t* data, std::size_t size, std::vector<NalUnit>& out) {
  out.clear();
  std::size_t code = next_start_code(data, size, 0);
  while (code < size) {
    const std::size_t begin = code + 3;
    const std::size_t next = next_start_code(data, size, begin);
    std::size_t end = next;
    while (end > begin && data[end - 1] == 0) --end;  // a four-byte start code's zero, trailing zeros
    if (end > begin)
      out.push_back({static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end - begin),
                     static_cast<std::uint8_t>(data[begin] & 0x1F)});
    code = next;
  }
}

std::optional<H264Config> h264_config(const std::uint8_t* sps, std::size_t sps_size, const std::uint8_t* pps,
                                      std::size_t pps_size) {
  if (sps_size < 4 || pps_size < 1 || sps_size > 0xFFFF || pps_size > 0xFFFF) return std::nullopt;
  BitReader r(sps + 1, sps_size - 1);
  const unsigned profile = r.bits(8);
  r.bits(16);  // constraint flags, level
  r.ue();      // seq_parameter_set_id
  unsigned chroma_format = 1;
  if (is_high_profile(profile)) {
    chroma_format = r.ue();
    if (chroma_format == 3) r.bit();  // separate_colour_plane_flag
    r.ue();                           // bit depths
    r.ue();
    r.bit();  // qpprime_y_zero_transform_bypass_flag
    if (r.bit() != 0)
      for (int i = 0; i < (chroma_format != 3 ? 8 : 12); ++i)
        if (r.bit() != 0) skip_scaling_list(r, i < 6 ? 16 : 64);
  }
  r.ue();  // log2_max_frame_num_minus4
  const std::uint32_t poc_type = r.ue();
  if (poc_type == 0) {
    r.ue();
  } else if (poc_type == 1) {
    r.bit();
    r.se();
    r.se();
    const std::uint32_t cycle = r.ue();
    if (cycle > 255) return std::nullopt;
    for (std::uint32_t i = 0; i < cycle; ++i) r.se();
  }
  r.ue();  // max_num_ref_frames
  r.bit();
  const std::uint32_t width_mbs = r.ue() + 1;
  const std::uint32_t height_units = r.ue() + 1;
  const unsigned frame_mbs_only = r.bit();
  if (frame_mbs_only == 0) r.bit();
  r.bit();  // direct_8x8_inference_flag
  std::uint32_t crop[4] = {0, 0, 0, 0};
  if (r.bit() != 0)
    for (auto& c : crop) c = r.ue();
  if (!r.ok() || chroma_format > 3 || width_mbs > 1024 || height_units > 1024) return std::nullopt;
  // In 64 bits: the cropping read from a stranger's SPS can be anything up to 2^32.
  const std::int64_t crop_x = chroma_format == 1 || chroma_format == 2 ? 2 : 1;
  const std::int64_t crop_y = std::int64_t{chroma_format == 1 ? 2 : 1} * (2 - std::int64_t{frame_mbs_only});
  const std::int64_t width = std::int64_t{width_mbs} * 16 - crop_x * (std::int64_t{crop[0]} + crop[1]);
  const std::int64_t height =
      std::int64_t{height_units} * 16 * (2 - std::int64_t{frame_mbs_only}) - crop_y * (std::int64_t{crop[2]} + crop[3]);
  if (width <= 0 || height <= 0) return std::nullopt;
  H264Config config;
  config.width = static_cast<int>(width);
  config.height = static_cast<int>(height);
  auto& c = config.avcc;
  c = {1,
       sps[1],
       sps[2],
       sps[3],
       0xFF,
       0xE1,
       static_cast<std::uint8_t>(sps_size >> 8),
       static_cast<std::uint8_t>(sps_size & 0xFF)};
  c.insert(c.end(), sps, sps + sps_size);
  c.push_back(1);
  c.push_back(static_cast<std::uint8_t>(pps_size >> 8));
  c.push_back(static_cast<std::uint8_t>(pps_size & 0xFF));
  c.insert(c.end(), pps, pps + pps_size);
  return config;
}

std::optional<AdtsFrame> parse_adts(const std::uint8_t* p, std::size_t size) {
  if (size < 7 || p[0] != 0xFF || (p[1] & 0xF6) != 0xF0) return std::nullopt;
  AdtsFrame f;
  f.header_size = (p[1] & 0x01) != 0 ? 7 : 9;
  const unsigned object_type = (p[2] >> 6) + 1u;
  const unsigned rate_index = (p[2] >> 2) & 0x0F;
  const unsigned channels = ((p[2] & 0x01u) << 2) | (p[3] >> 6);
  f.frame_size = (std::size_t{p[3] & 0x03u} << 11) | (std::size_t{p[4]} << 3) | (p[5] >> 5);
  const unsigned raw_blocks = p[6] & 0x03u;
  if (rate_index >= std::size(kAdtsSampleRates) || channels == 0 || raw_blocks != 0 || f.frame_size <= f.header_size)
    return std::nullopt;
  f.sample_rate = kAdtsSampleRates[rate_index];
  f.channels = channels == 7 ? 8 : static_cast<int>(channels);
  const unsigned config = (object_type << 11) | (rate_index << 7) | (channels << 3);
  f.audio_specific_config = {static_cast<std::uint8_t>(config >> 8), static_cast<std::uint8_t>(config & 0xFF)};
  return f;
}

}  // namespace chronicle::remux
