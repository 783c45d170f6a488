#include "blob/s3/s3_object_store.hpp"

#include <spdlog/spdlog.h>
#include <pugixml.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "core/names.hpp"
#include "sys/process.hpp"

namespace chronicle::blob {
namespace {

constexpr std::uint64_t kMaxParts = 10000;

std::string content_type_for(const std::string& key) {
  if (key.ends_with(".mkv")) return "video/x-matroska";
  if (key.ends_with(".ts")) return "video/mp2t";
  if (key.ends_with(".torrent")) return "application/x-bittorrent";
  return "application/octet-stream";
}

// Retries what S3 asks to retry (throttling, 5xx, connection trouble) with backoff and jitter.
Result<aws::Response> send_with_retry(const aws::Client& client, const aws::Request& request) {
  return aws::send_with_retry(client, request, aws::retryable_status, {5, std::chrono::milliseconds(200)});
}

class S3Writer final : public ObjectWriter {
 public:
  S3Writer(S3ObjectStore& store, std::string desired_key, std::uint64_t size_hint)
      : store_(store), desired_(std::move(desired_key)) {
    // Parts grow with the object so that 10,000 of them always cover it.
    part_size_ = std::max(store.options().min_part_size, (size_hint + kMaxParts - 1) / kMaxParts);
    part_size_ = (part_size_ + (1 << 20) - 1) / (1 << 20) * (1 << 20);
    buffer_.reserve(part_size_);
  }
  ~S3Writer() override {
    if (!upload_id_.empty() && !completed_) abort_upload();
  }

  Result<Ok> write(std::span<const std::byte> data) override {
    const auto* p = reinterpret_cast<const char*>(data.data());
    std::size_t left = data.size();
    while (left > 0) {
      const std::size_t n = std::min<std::size_t>(left, part_size_ - buffer_.size());
      buffer_.append(p, n);
      p += n;
      left -= n;
      size_ += n;
      if (buffer_.size() == part_size_) {
        if (auto r = flush_part(); !r) return r;
      }
    }
    return Ok{};
  }

  Result<ObjectInfo> commit() override {
    if (upload_id_.empty()) return put_single();
    if (!buffer_.empty() || parts_.empty())
      if (auto r = flush_part(); !r) return r.error();
    for (auto& f : in_flight_)
      if (auto r = f.get(); !r) return r.error();
    in_flight_.clear();
    std::string xml = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags_.size(); ++i)
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags_[i] + "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    auto r = send_with_retry(store_.client(),
                             {"s3",
                              "POST",
                              store_.object_url(key_) + "?uploadId=" + upload_id_,
                              {{"Content-Type", "application/xml"}, {"x-amz-content-sha256", aws::hex_sha256(xml)}},
                              xml});
    if (!r) return r.error();
    // S3 can answer 200 with an error document for CompleteMultipartUpload.
    if (!r->ok() || r->body.find("<Error>") != std::string::npos)
      return aws::parse_error(*r, "complete the upload of " + key_);
    completed_ = true;
    return ObjectInfo{key_, size_};
  }

 private:
  // The first free key: the desired one or one with a numeric suffix.
  Result<std::string> free_key(int start) {
    for (int n = start; n < 10000; ++n) {
      const std::string key = key_with_suffix(desired_, n);
      auto head = store_.stat(key);
      if (!head && head.error().code == "not_found") return key;
      if (!head) return head.error();
    }
    return make_error("storage_error", "too many objects named like " + desired_);
  }

  Result<ObjectInfo> put_single() {
    for (int attempt = 0; attempt < 10000;) {
      auto key = free_key(attempt);
      if (!key) return key.error();
      auto r = send_with_retry(store_.client(), {"s3",
                                                 "PUT",
                                                 store_.object_url(*key),
                                                 {{"If-None-Match", "*"},
                                                  {"Content-Type", content_type_for(*key)},
                                                  {"x-amz-tagging", kExpireTag},
                                                  {"x-amz-content-sha256", aws::hex_sha256(buffer_)}},
                                                 buffer_});
      if (!r) return r.error();
      if (r->status == 412) {  // someone took the key between our HEAD and PUT: next suffix
        ++attempt;
        continue;
      }
      if (!r->ok()) return aws::parse_error(*r, "store " + *key);
      completed_ = true;
      return ObjectInfo{*key, size_};
    }
    return make_error("storage_error", "too many objects named like " + desired_);
  }

  Result<Ok> start_multipart() {
    auto key = free_key(0);
    if (!key) return key.error();
    key_ = *key;
    auto r = send_with_retry(store_.client(), {"s3",
                                               "POST",
                                               store_.object_url(key_) + "?uploads=",
                                               {{"Content-Type", content_type_for(key_)},
                                                {"x-amz-tagging", kExpireTag},
                                                {"x-amz-content-sha256", aws::hex_sha256("")}},
                                               {}});
    if (!r) return r.error();
    if (!r->ok()) return aws::parse_error(*r, "start the upload of " + key_);
    pugi::xml_document doc;
    doc.load_buffer(r->body.data(), r->body.size());
    upload_id_ = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
    if (upload_id_.empty()) return make_error("storage_error", "S3 returned no upload id for " + key_);
    return Ok{};
  }

  Result<Ok> flush_part() {
    if (upload_id_.empty())
      if (auto r = start_multipart(); !r) return r;
    // Keep a bounded number of parts in flight: wait for the oldest when full.
    while (static_cast<int>(in_flight_.size()) >= store_.options().parts_in_flight) {
      auto r = in_flight_.front().get();
      in_flight_.pop_front();
      if (!r) return r;
    }
    const int number = static_cast<int>(etags_.size()) + 1;
    etags_.emplace_back();
    auto part = std::make_shared<std::string>(std::move(buffer_));
    buffer_ = std::string();
    buffer_.reserve(part_size_);
    const std::string url =
        store_.object_url(key_) + "?partNumber=" + std::to_string(number) + "&uploadId=" + upload_id_;
    std::string* etag = &etags_.back();
    in_flight_.push_back(std::async(std::launch::async, [this, part, url, etag, number]() -> Result<Ok> {
      auto r = send_with_retry(store_.client(),
                               {"s3", "PUT", url, {{"x-amz-content-sha256", aws::hex_sha256(*part)}}, *part});
      if (!r) return r.error();
      if (!r->ok()) return aws::parse_error(*r, "upload part " + std::to_string(number) + " of " + key_);
      *etag = r->headers["etag"];
      return Ok{};
    }));
    parts_.push_back(number);
    return Ok{};
  }

  // Called when the upload already failed with an error of its own, which is what the caller sees:
  // the parts still in flight and the abort itself can only fail the same way. An upload that is
  // not aborted is removed by the bucket's lifecycle rule for incomplete uploads (deploy/terraform).
  void abort_upload() {
    for (auto& f : in_flight_) (void)f.get();
    in_flight_.clear();
    (void)store_.client().send({"s3",
                                "DELETE",
                                store_.object_url(key_) + "?uploadId=" + upload_id_,
                                {{"x-amz-content-sha256", aws::hex_sha256("")}},
                                {}});
  }

  S3ObjectStore& store_;
  std::string desired_, key_, upload_id_, buffer_;
  std::uint64_t part_size_ = 0, size_ = 0;
  std::deque<std::string> etags_;  // deque: stable addresses while parts are in flight
  std::vector<int> parts_;
  std::deque<std::future<Result<Ok>>> in_flight_;
  bool completed_ = false;
};

}  // namespace

S3ObjectStore::S3ObjectStore(aws::Client client, S3Options options)
    : client_(std::move(client)), options_(std::move(options)) {}

std::string S3ObjectStore::bucket_url() const {
  const auto& s = client_.settings();
  std::string endpoint = s.endpoint.empty() ? "https://s3." + s.region + ".amazonaws.com" : s.endpoint;
  if (options_.path_style) return endpoint + "/" + options_.bucket;
  const auto scheme_end = endpoint.find("://") + 3;
  return endpoint.substr(0, scheme_end) + options_.bucket + "." + endpoint.substr(scheme_end);
}

std::string S3ObjectStore::object_url(const std::string& key) const {
  return bucket_url() + "/" + aws::uri_encode(key, true);
}

Result<std::unique_ptr<ObjectWriter>> S3ObjectStore::create(const std::string& desired_key, std::uint64_t size_hint) {
  if (!is_safe_object_key(desired_key))
    return make_error("invalid_key", "object key '" + desired_key + "' is not a safe relative path");
  return std::unique_ptr<ObjectWriter>(std::make_unique<S3Writer>(*this, desired_key, size_hint));
}

Result<ObjectInfo> S3ObjectStore::stat(const std::string& key) {
  auto r =
      send_with_retry(client_, {"s3", "HEAD", object_url(key), {{"x-amz-content-sha256", aws::hex_sha256("")}}, {}});
  if (!r) return r.error();
  if (r->status == 404) return make_error("not_found", "no object " + key);
  if (!r->ok()) return aws::parse_error(*r, "look up " + key);
  return ObjectInfo{key, std::stoull(r->headers.count("content-length") ? r->headers["content-length"] : "0")};
}

Result<Ok> S3ObjectStore::set_retention(const std::string& key, bool keep) {
  const std::string xml = std::string("<Tagging><TagSet><Tag><Key>") + kRetentionTagKey + "</Key><Value>" +
                          (keep ? "keep" : "expire") + "</Value></Tag></TagSet></Tagging>";
  auto r =
      send_with_retry(client_, {"s3",
                                "PUT",
                                object_url(key) + "?tagging=",
                                {{"Content-Type", "application/xml"}, {"x-amz-content-sha256", aws::hex_sha256(xml)}},
                                xml});
  if (!r) return r.error();
  if (!r->ok()) return aws::parse_error(*r, std::string(keep ? "pin " : "unpin ") + key);
  return Ok{};
}

Result<std::string> S3ObjectStore::retention_tag(const std::string& key) {
  auto r = send_with_retry(
      client_, {"s3", "GET", object_url(key) + "?tagging=", {{"x-amz-content-sha256", aws::hex_sha256("")}}, {}});
  if (!r) return r.error();
  if (!r->ok()) return aws::parse_error(*r, "read the tags of " + key);
  pugi::xml_document doc;
  doc.load_buffer(r->body.data(), r->body.size());
  for (auto tag : doc.child("Tagging").child("TagSet").children("Tag"))
    if (std::string(tag.child_value("Key")) == kRetentionTagKey) return std::string(tag.child_value("Value"));
  return std::string();
}

Result<Ok> S3ObjectStore::remove(const std::string& key) {
  auto r =
      send_with_retry(client_, {"s3", "DELETE", object_url(key), {{"x-amz-content-sha256", aws::hex_sha256("")}}, {}});
  if (!r) return r.error();
  if (!r->ok() && r->status != 404) return aws::parse_error(*r, "delete " + key);
  return Ok{};
}

std::optional<std::string> S3ObjectStore::download_url(const std::string& key) {
  auto url = aws::presign_get(client_.settings(), "s3", object_url(key), options_.presign_ttl,
                              std::chrono::system_clock::now());
  if (url.empty()) return std::nullopt;
  return url;
}

Result<std::string> S3ObjectStore::read_range(const std::string& key, std::uint64_t first, std::uint64_t last) {
  auto r = send_with_retry(client_, {"s3",
                                     "GET",
                                     object_url(key),
                                     {{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)},
                                      {"x-amz-content-sha256", aws::hex_sha256("")}},
                                     {}});
  if (!r) return r.error();
  if (r->status == 404) return make_error("not_found", "no object " + key);
  if (!r->ok()) return aws::parse_error(*r, "read " + key);
  return std::move(r->body);
}

Result<Ok> S3ObjectStore::fetch(const std::string& key, const std::filesystem::path& destination) {
  auto info = stat(key);
  if (!info) return info.error();
  const std::string partial = destination.string() + ".part";
  const sys::UniqueFd file(::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  const int fd = file.get();
  if (fd < 0) return make_error("io_error", "cannot write " + partial + ": " + std::strerror(errno));
  // Ranged GETs, several in flight, each written at its offset: as fast as the multipart
  // upload and with bounded memory (parts_in_flight x chunk), whatever the object's size.
  constexpr std::uint64_t kChunk = 16ull << 20;
  const std::uint64_t chunks = (info->size + kChunk - 1) / kChunk;
  std::atomic<std::uint64_t> next{0};
  std::mutex error_mutex;
  std::optional<Error> failure;
  auto worker = [&] {
    for (std::uint64_t i = next++; i < chunks; i = next++) {
      {
        std::lock_guard lock(error_mutex);
        if (failure) return;
      }
      const std::uint64_t first = i * kChunk;
      const std::uint64_t last = std::min(info->size, first + kChunk) - 1;
      auto bytes = read_range(key, first, last);
      std::optional<Error> error;
      if (!bytes)
        error = bytes.error();
      else if (bytes->size() != last - first + 1)
        error = Error{"io_error", "short read of " + key + " at " + std::to_string(first)};
      else if (::pwrite(fd, bytes->data(), bytes->size(), static_cast<off_t>(first)) !=
               static_cast<ssize_t>(bytes->size()))
        error = Error{"io_error", "cannot write " + partial + ": " + std::strerror(errno)};
      if (error) {
        std::lock_guard lock(error_mutex);
        if (!failure) failure = std::move(error);
        return;
      }
    }
  };
  std::vector<std::thread> workers;
  const auto n = std::min<std::uint64_t>(chunks, static_cast<std::uint64_t>(std::max(1, options_.parts_in_flight)));
  for (std::uint64_t i = 0; i < n; ++i) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
  const bool synced = ::fsync(fd) == 0;
  std::error_code ec;
  if (!failure && !synced) failure = Error{"io_error", "cannot flush " + partial};
  if (!failure) std::filesystem::rename(partial, destination, ec);
  if (!failure && ec) failure = Error{"io_error", "cannot rename " + partial + ": " + ec.message()};
  if (failure) {
    std::filesystem::remove(partial, ec);
    return *failure;
  }
  return Ok{};
}

Result<std::vector<ObjectInfo>> S3ObjectStore::list(const std::string& prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  do {
    std::string url = bucket_url() + "?list-type=2&prefix=" + aws::uri_encode(prefix, false);
    if (!token.empty()) url += "&continuation-token=" + aws::uri_encode(token, false);
    auto r = send_with_retry(client_, {"s3", "GET", url, {{"x-amz-content-sha256", aws::hex_sha256("")}}, {}});
    if (!r) return r.error();
    if (!r->ok()) return aws::parse_error(*r, "list " + prefix);
    pugi::xml_document doc;
    doc.load_buffer(r->body.data(), r->body.size());
    auto result = doc.child("ListBucketResult");
    for (auto c : result.children("Contents"))
      out.push_back(ObjectInfo{c.child_value("Key"), std::stoull(c.child_value("Size"))});
    token = std::string(result.child_value("IsTruncated")) == "true" ? result.child_value("NextContinuationToken") : "";
  } while (!token.empty());
  return out;
}

Result<Ok> S3ObjectStore::create_bucket() {
  const auto& region = client_.settings().region;
  std::string body;
  if (region != "us-east-1")
    body = "<CreateBucketConfiguration><LocationConstraint>" + region +
           "</LocationConstraint></CreateBucketConfiguration>";
  auto r =
      send_with_retry(client_, {"s3", "PUT", bucket_url(), {{"x-amz-content-sha256", aws::hex_sha256(body)}}, body});
  if (!r) return r.error();
  if (r->ok() || r->body.find("BucketAlreadyOwnedByYou") != std::string::npos) return Ok{};
  return aws::parse_error(*r, "create bucket " + options_.bucket);
}

}  // namespace chronicle::blob
