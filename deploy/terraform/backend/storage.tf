locals {
  bucket_name = "${var.name}-recordings-${data.aws_caller_identity.current.account_id}"
  # The prefix as an IAM resource pattern: "" covers the bucket, "shows/" only that folder.
  recordings_objects = "${aws_s3_bucket.recordings.arn}/${var.recordings_prefix}*"
}

# Recordings and their .torrent files. Private: downloads are presigned GET URLs.
resource "aws_s3_bucket" "recordings" {
  bucket = local.bucket_name
}

resource "aws_s3_bucket_public_access_block" "recordings" {
  bucket                  = aws_s3_bucket.recordings.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "recordings" {
  bucket = aws_s3_bucket.recordings.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "recordings" {
  bucket = aws_s3_bucket.recordings.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "recordings" {
  bucket = aws_s3_bucket.recordings.id
  # A recorder killed mid-upload leaves parts behind; they cost money until aborted.
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }
  dynamic "rule" {
    for_each = var.recording_retention_days > 0 ? [1] : []
    content {
      id     = "expire-recordings"
      status = "Enabled"
      # Every upload is tagged chronicle-retention=expire; pinning a job retags its objects "keep",
      # which this rule then leaves alone. The scheduled Lambda's retention pass deletes expired
      # recordings first and marks their jobs: this rule is the backstop (ceil: S3 counts whole days).
      filter {
        and {
          prefix = var.recordings_prefix
          tags = {
            "chronicle-retention" = "expire"
          }
        }
      }
      expiration {
        days = ceil(var.recording_retention_days) + 1
      }
    }
  }
}

# Jobs: one table. Items are keyed by pk ("job#<id>", "change#<seq>", "url#<sha256>",
# "counter#seq", "count#<status>"); sparse GSIs list jobs newest first, by status, and the change feed, so
# nothing scans. Attribute and index names match DynamoJobStore::provision.
resource "aws_dynamodb_table" "jobs" {
  name         = "${var.name}-jobs"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "list_pk"
    type = "S"
  }
  attribute {
    name = "id"
    type = "S"
  }
  attribute {
    name = "status"
    type = "S"
  }
  attribute {
    name = "feed_pk"
    type = "S"
  }
  attribute {
    name = "seq"
    type = "N"
  }
  attribute {
    name = "channel_id"
    type = "S"
  }

  global_secondary_index {
    name            = "list"
    hash_key        = "list_pk"
    range_key       = "id"
    projection_type = "ALL"
  }
  global_secondary_index {
    name            = "by_status"
    hash_key        = "status"
    range_key       = "id"
    projection_type = "ALL"
  }
  global_secondary_index {
    name            = "feed"
    hash_key        = "feed_pk"
    range_key       = "seq"
    projection_type = "ALL"
  }
  # A channel's jobs, newest first (sparse: only jobs of a channel carry channel_id).
  global_secondary_index {
    name            = "by_channel"
    hash_key        = "channel_id"
    range_key       = "id"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled = true
  }
}

# The key that seals stored cookies files (CHRONICLE_COOKIES_KEY, AES-256-GCM): made once here and
# kept in Parameter Store as a SecureString. Sealing keeps the cookies unreadable to whoever may
# read the bucket (the seeding node's role reads recordings under the same prefix). Recorder tasks
# get the key as an ECS secret; the functions in their environment, which Lambda encrypts at rest.
# It is in the Terraform state too: keep the state private (it already holds the API token).
resource "random_id" "cookies_key" {
  byte_length = 32
}

resource "aws_ssm_parameter" "cookies_key" {
  name        = "/${var.name}/cookies-key"
  description = "chronicle: the key stored cookies files are sealed with"
  type        = "SecureString"
  value       = random_id.cookies_key.hex
}
