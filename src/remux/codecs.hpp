#pragma once
// The little of H.264 and AAC a remux into Matroska needs: where the NAL units of an access
// unit are, the picture size and decoder configuration from the parameter sets, and the ADTS
// framing of AAC with the AudioSpecificConfig it stands for.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace chronicle::remux {

struct NalUnit {
  std::uint32_t offset = 0;  // in the access unit, past the start code
  std::uint32_t size = 0;    // trailing zero bytes excluded
  std::uint8_t type = 0;     // nal_unit_type
};

// The NAL units of an Annex B access unit (split at 00 00 01 start codes). `out` is reused.
void split_annex_b(const std::uint8_t* data, std::size_t size, std::vector<NalUnit>& out);

inline constexpr std::uint8_t kNalIdr = 5;
inline constexpr std::uint8_t kNalSps = 7;
inline constexpr std::uint8_t kNalPps = 8;

struct H264Config {
  std::vector<std::uint8_t> avcc;  // AVCDecoderConfigurationRecord, Matroska's CodecPrivate
  int width = 0, height = 0;
};

// From one SPS and one PPS NAL unit (header byte included); nullopt when the SPS cannot be read.
std::optional<H264Config> h264_config(const std::uint8_t* sps, std::size_t sps_size, const std::uint8_t* pps,
                                      std::size_t pps_size);

struct AdtsFrame {
  std::size_t header_size = 0;  // 7, or 9 with a CRC
  std::size_t frame_size = 0;   // header included
  int sample_rate = 0;
  int channels = 0;
  std::array<std::uint8_t, 2> audio_specific_config{};
};

// The ADTS header at `p`; nullopt when it is not one, or describes what Matroska's A_AAC cannot
// carry as it is (several raw blocks in a frame, channels given by a program config element).
std::optional<AdtsFrame> parse_adts(const std::uint8_t* p, std::size_t size);

inline constexpr int kAacFrameSamples = 1024;

}  // namespace chronicle::remux
