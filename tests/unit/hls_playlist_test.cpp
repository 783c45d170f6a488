#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "hls/ads.hpp"
#include "hls/decrypt.hpp"
#include "hls/follower.hpp"
#include "hls/playlist.hpp"

using namespace chronicle;
using namespace chronicle::hls;

namespace {
const std::string kUrl = "https://cdn.example/live/stream.m3u8?token=1";
}

TEST(HlsPlaylist, EverySegmentKnowsItsSequenceKeyMapRangeAndDate) {
  const std::string text =
      "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n"
      "#EXT-X-DISCONTINUITY-SEQUENCE:3\n"
      "#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"/keys/1\",IV=0x0000000000000000000000000000ABCD\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T10:00:00.500Z\n"
      "#EXTINF:2.000,live\n#EXT-X-BYTERANGE:1000@720\nall.mp4\n"
      "#EXTINF:2.000,\n#EXT-X-BYTERANGE:500\nall.mp4\n"
      "#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=NONE\n#EXT-X-PROGRAM-DATE-TIME:2026-12-06T12:00:00+02:00\n"
      "#EXTINF:1.5,\nhttps://other.example/seg.ts\n#EXT-X-ENDLIST\n";
  auto p = parse_media(text, kUrl);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->ended);
  ASSERT_EQ(p->segments.size(), 3u);
  const auto& a = p->segments[0];
  EXPECT_EQ(a.sequence, 100);
  EXPECT_EQ(a.discontinuity_sequence, 3);
  EXPECT_EQ(a.title, "live");
  EXPECT_EQ(a.uri, "https://cdn.example/live/all.mp4");
  ASSERT_TRUE(a.map);
  EXPECT_EQ(a.map->uri, "https://cdn.example/live/init.mp4");
  EXPECT_EQ(a.map->range, (ByteRange{0, 720}));
  EXPECT_EQ(a.range, (ByteRange{720, 1000}));
  EXPECT_EQ(a.key.method, "AES-128");
  EXPECT_EQ(a.key.uri, "https://cdn.example/keys/1");
  ASSERT_TRUE(a.key.iv);
  EXPECT_EQ((*a.key.iv)[14], 0xAB);
  EXPECT_EQ((*a.key.iv)[15], 0xCD);
  EXPECT_EQ(a.program_date_time_ms, 1796551200500);
  const auto& b = p->segments[1];
  EXPECT_EQ(b.range, (ByteRange{1720, 500})) << "a range without an offset follows the one before";
  EXPECT_EQ(b.program_date_time_ms, 1796551202500) << "the date is carried on by the durations";
  const auto& c = p->segments[2];
  EXPECT_EQ(c.sequence, 102);
  EXPECT_EQ(c.discontinuity_sequence, 4);
  EXPECT_TRUE(c.discontinuity);
  EXPECT_FALSE(c.key.encrypted());
  EXPECT_EQ(c.program_date_time_ms, 1796551200000) << "an offset is applied";
}

TEST(HlsPlaylist, RefusesWhatIsNotAMediaPlaylist) {
  EXPECT_FALSE(parse_media("", kUrl));
  EXPECT_FALSE(parse_media("<html>", kUrl));
  EXPECT_FALSE(parse_media("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n", kUrl));
  EXPECT_TRUE(parse_media("#EXTM3U\n#EXT-X-TARGETDURATION:nan\n#EXTINF:inf,\na.ts\n", kUrl));
  EXPECT_EQ(parse_media("#EXTM3U\n#EXTINF:-5,\na.ts\n", kUrl)->segments[0].duration_s, 0);
}

TEST(HlsPlaylist, MasterWithASeparateAudioRendition) {
  const std::string text =
      "#EXTM3U\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English, main\",DEFAULT=YES,URI=\"audio/en.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Other\",URI=\"audio/xx.m3u8\"\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.4d401e,mp4a.40.2\",AUDIO=\"aud\"\n"
      "low.m3u8\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1280x720,AUDIO=\"aud\"\nhigh.m3u8\n";
  auto m = parse_master(text, kUrl);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->variants.size(), 2u);
  EXPECT_EQ(m->variants[0].codecs, "avc1.4d401e,mp4a.40.2");
  const auto* best = best_variant(*m);
  ASSERT_TRUE(best);
  EXPECT_EQ(best->uri, "https://cdn.example/live/high.m3u8");
  EXPECT_EQ(best->height, 720);
  const auto* audio = default_audio(*m, best->audio_group);
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->name, "English, main") << "a quoted value keeps its comma";
  EXPECT_EQ(audio->uri, "https://cdn.example/live/audio/en.m3u8");
}

TEST(HlsPlaylist, ResolvesReferences) {
  EXPECT_EQ(resolve_url(kUrl, "seg.ts?x=1"), "https://cdn.example/live/seg.ts?x=1");
  EXPECT_EQ(resolve_url(kUrl, "/abs.ts"), "https://cdn.example/abs.ts");
  EXPECT_EQ(resolve_url(kUrl, "//other.example/a.ts"), "https://other.example/a.ts");
  EXPECT_EQ(resolve_url(kUrl, "http://x.example/a.ts"), "http://x.example/a.ts");
  EXPECT_EQ(resolve_url(kUrl, "?token=2"), "https://cdn.example/live/stream.m3u8?token=2");
}

TEST(HlsAds, TwitchStitchedAdsByTitleAndDateRange) {
  const std::string text =
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-DATERANGE:ID=\"stitched-ad-1\",CLASS=\"twitch-stitched-ad\",START-DATE=\"2026-12-06T10:00:02.000Z\","
      "DURATION=4.0\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T10:00:00.000Z\n#EXTINF:2.000,live\na.ts\n"
      "#EXT-X-DISCONTINUITY\n#EXTINF:2.000,Amazon|123\nad1.ts\n#EXTINF:2.000,\nad2.ts\n"
      "#EXT-X-DISCONTINUITY\n#EXTINF:2.000,live\nb.ts\n";
  auto p = parse_media(text, kUrl);
  ASSERT_TRUE(p);
  auto rule = twitch_stitched_ads();
  std::vector<bool> ads;
  for (const auto& s : p->segments) ads.push_back(rule->is_ad(s, *p));
  EXPECT_EQ(ads, (std::vector<bool>{false, true, true, false}));
}

TEST(HlsAds, ATwitchBreakLongerThanTheWindowOutlivesItsDateRangeTag) {
  // The date range rides on the break's first segment; once that segment slid out of the
  // window, later reloads list the rest of the break without the tag (found by bench/soak.py:
  // every other segment of a 30 s break was recorded, caught only by its "Amazon" title).
  auto rule = twitch_stitched_ads();
  auto first = parse_media(
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T10:00:00.000Z\n#EXTINF:2.000,live\na.ts\n"
      "#EXT-X-DATERANGE:ID=\"stitched-ad-7\",CLASS=\"twitch-stitched-ad\",START-DATE=\"2026-12-06T10:00:02.000Z\","
      "DURATION=30.0\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000,Amazon|1\nad1.ts\n",
      kUrl);
  auto later = parse_media(
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:9\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T10:00:18.000Z\n#EXTINF:2.000,\nad9.ts\n#EXTINF:2.000,Amazon|1\nad10.ts\n",
      kUrl);
  auto after = parse_media(
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:16\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T10:00:32.000Z\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000,live\nb.ts\n",
      kUrl);
  ASSERT_TRUE(first && later && after);
  EXPECT_FALSE(rule->is_ad(first->segments[0], *first));
  EXPECT_TRUE(rule->is_ad(first->segments[1], *first));
  EXPECT_TRUE(rule->is_ad(later->segments[0], *later)) << "no title, no tag in this reload: still the break";
  EXPECT_TRUE(rule->is_ad(later->segments[1], *later));
  EXPECT_FALSE(rule->is_ad(after->segments[0], *after)) << "the break is over";
}

TEST(HlsAds, Scte35BreakCarriesAcrossReloads) {
  auto rule = scte35_cue_breaks();
  auto first = parse_media("#EXTM3U\n#EXTINF:1,\na.ts\n#EXT-X-CUE-OUT:DURATION=3\n#EXTINF:1,\nad1.ts\n", kUrl);
  auto second = parse_media("#EXTM3U\n#EXTINF:1,\nad2.ts\n#EXTINF:1,\nad3.ts\n#EXT-X-CUE-IN\n#EXTINF:1,\nb.ts\n", kUrl);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(rule->is_ad(first->segments[0], *first));
  EXPECT_TRUE(rule->is_ad(first->segments[1], *first));
  // The next reload lists the rest of the break without a CUE-OUT of its own.
  EXPECT_TRUE(rule->is_ad(second->segments[0], *second));
  EXPECT_TRUE(rule->is_ad(second->segments[1], *second));
  EXPECT_FALSE(rule->is_ad(second->segments[2], *second));
}

TEST(HlsDrm, SampleAesAndForeignKeyFormatsAreDrm) {
  auto sample = parse_media("#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://x\"\n#EXTINF:1,\na.ts\n", kUrl);
  ASSERT_TRUE(sample);
  EXPECT_TRUE(drm_in(*sample));
  auto widevine =
      parse_media("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",KEYFORMAT=\"com.widevine\"\n#EXTINF:1,\na.ts\n", kUrl);
  EXPECT_TRUE(drm_in(*widevine));
  auto clear = parse_media("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:1,\na.ts\n", kUrl);
  EXPECT_FALSE(drm_in(*clear));
}

TEST(HlsDecrypt, Aes128RoundTripWithTheSequenceAsIv) {
  const std::string key = "0123456789abcdef";
  const std::string clear(1000, 'x');
  const auto iv = iv_from_sequence(258);
  EXPECT_EQ(iv[14], 1);
  EXPECT_EQ(iv[15], 2);
  std::string sealed(clear.size() + 16, '\0');
  int n = 0, last = 0;
  auto* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr, reinterpret_cast<const unsigned char*>(key.data()), iv.data());
  EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(sealed.data()), &n,
                    reinterpret_cast<const unsigned char*>(clear.data()), static_cast<int>(clear.size()));
  EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(sealed.data()) + n, &last);
  EVP_CIPHER_CTX_free(ctx);
  sealed.resize(static_cast<std::size_t>(n + last));
  auto opened = decrypt_aes128(sealed, key, iv);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, clear);
  EXPECT_FALSE(decrypt_aes128(sealed, "fedcba9876543210", iv)) << "a wrong key is an error, not noise";
  EXPECT_FALSE(decrypt_aes128(sealed, "short", iv));
  EXPECT_FALSE(decrypt_aes128(sealed.substr(0, 17), key, iv));
}
