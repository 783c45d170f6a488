variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name (bucket names also get the account id)."
  type        = string
  default     = "chronicle"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name: lower-case letters, digits and '-', starting with a letter, at most 31 characters."
  }
}

variable "recorder_image" {
  description = "Image URI of the recorder task (deploy/docker/Dockerfile, target recorder)."
  type        = string
}

variable "lambda_image" {
  description = "Image URI of the Lambda functions (deploy/docker/Dockerfile, target lambda), in ECR."
  type        = string
}

variable "seeder_image" {
  description = "Image URI of the seeding node (deploy/docker/Dockerfile, target seeder)."
  type        = string
}

variable "seeders" {
  description = "How many seeding nodes run (0: recordings are only downloadable over HTTPS)."
  type        = number
  default     = 1
}

variable "recordings_prefix" {
  description = "Key prefix recordings are written under; the recorder task may write nowhere else."
  type        = string
  default     = ""
}

variable "max_recordings" {
  description = "Recordings running at once (CHRONICLE_MAX_RECORDINGS)."
  type        = number
  default     = 20
}

variable "max_receives" {
  description = "Deliveries of a queue message before it goes to the dead-letter queue (CHRONICLE_MAX_RECEIVES). A job waiting for a free recording slot is offered again every minute, so this also bounds that wait."
  type        = number
  default     = 30
}

variable "job_retention_days" {
  description = "Finished jobs expire from DynamoDB after this many days (TTL on expires_at)."
  type        = number
  default     = 90
}

variable "recording_retention_days" {
  description = "Recordings are deleted after this many days (0: kept): by chronicle's retention pass in the scheduled Lambda, which also marks the job, and as a backstop by the bucket's lifecycle rule. Pinned jobs are kept (their objects are tagged chronicle-retention=keep)."
  type        = number
  default     = 0
}

variable "storage_budget_bytes" {
  description = "The oldest unpinned recordings are deleted while all recordings take more than this many bytes (CHRONICLE_STORAGE_BUDGET; 0: no budget)."
  type        = number
  default     = 0
}

variable "api_token" {
  description = "Bearer token every API request needs, reads included (CHRONICLE_TOKEN); download links and web seeds are signed with it. Empty: anyone who reaches the API can use it."
  type        = string
  default     = ""
  sensitive   = true
}

variable "public_url" {
  description = "Public URL of the API (e.g. the CloudFront domain of the frontend stack), used in torrents' web seeds. Empty: the API Gateway URL."
  type        = string
  default     = ""
}

variable "trackers" {
  description = "Announce URLs written into every .torrent (CHRONICLE_TRACKERS)."
  type        = list(string)
  default     = []
}

variable "recorder_cpu" {
  description = "Fargate CPU units of a recorder task."
  type        = number
  default     = 1024
}

variable "recorder_memory" {
  description = "Fargate memory (MiB) of a recorder task."
  type        = number
  default     = 2048
}

variable "recorder_ephemeral_gib" {
  description = "Fargate ephemeral storage (GiB) of a recorder task: the longest recording must fit."
  type        = number
  default     = 100
}

variable "seeder_ephemeral_gib" {
  description = "Fargate ephemeral storage (GiB) of a seeding node: its cache of recordings."
  type        = number
  default     = 200
}

variable "seed_port" {
  description = "BitTorrent listen port of the seeding node (TCP and UDP)."
  type        = number
  default     = 6881
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.42.0.0/16"
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of every log group."
  type        = number
  default     = 30
}

variable "alarm_email" {
  description = "Address notified when jobs land in the dead-letter queue (empty: the alarm has no subscriber)."
  type        = string
  default     = ""
}

variable "cors_origins" {
  description = "Origins allowed to call the API from a browser (the dashboard's, if served from elsewhere)."
  type        = list(string)
  default     = []
}
