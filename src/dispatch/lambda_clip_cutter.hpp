#pragma once
// Clips on AWS: the API function writes the clip as `cutting` and invokes the function named by
// CHRONICLE_CLIP_FUNCTION (the dispatcher's, whose image carries ffmpeg) asynchronously with
// {"chronicle": "cut_clip", "job_id", "clip_id"}; that invocation reads the stored recording from
// S3 by ranges (a presigned URL), cuts it with a stream copy and stores the clip beside it.
//
// Lambda rather than an ECS task: a clip is seconds of ranged reads and one upload, where a
// Fargate task spends 30-60 s pulling its image and starting, and bills a minute at least; the
// function's /tmp (up to 10 GB) and timeout bound the size of a clip, which a stream copy of
// minutes of video stays far inside.
#include <string>

#include "aws/aws.hpp"
#include "core/ports.hpp"

namespace chronicle::dispatch {

inline constexpr const char* kCutClipEvent = "cut_clip";

class LambdaClipCutter final : public ClipCutter {
 public:
  // `endpoint`: where Lambda's API is (empty: the client's AWS_ENDPOINT_URL, else AWS's own).
  LambdaClipCutter(aws::Client client, std::string function, std::string endpoint = "")
      : client_(std::move(client)), function_(std::move(function)), endpoint_(std::move(endpoint)) {}

  // The recorder's journal is on its task's own disk: only stored recordings are cut here.
  bool cuts_while_recording() const override { return false; }
  Result<Ok> request(const std::string& job_id, const std::string& clip_id) override;

  // The Invoke request's URL and body (exposed for tests).
  std::string invoke_url() const;
  static std::string event(const std::string& job_id, const std::string& clip_id);

 private:
  aws::Client client_;
  std::string function_;
  std::string endpoint_;
};

}  // namespace chronicle::dispatch
