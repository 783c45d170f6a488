# Least privilege, role by role. The actions are the ones chronicle's code calls (the tests
# check this file against the source): the AWS JSON-protocol actions by name, and S3's REST
# calls as IAM actions (PUT, multipart create/complete -> s3:PutObject; GET and HEAD ->
# s3:GetObject; listing and a HEAD that must answer 404 rather than 403 -> s3:ListBucket).

locals {
  queue_arns = [aws_sqs_queue.jobs.arn, aws_sqs_queue.jobs_dlq.arn]
  table_arns = [aws_dynamodb_table.jobs.arn, "${aws_dynamodb_table.jobs.arn}/index/*"]
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# --- ECS task execution: pull the images and write the task logs (ECS itself uses it).
resource "aws_iam_role" "task_execution" {
  name               = "${var.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "task_execution" {
  role       = aws_iam_role.task_execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# ECS reads the recorder's secrets (the cookies key) with the execution role when a task starts;
# the parameter uses the account's aws/ssm key, which needs no grant of its own.
data "aws_iam_policy_document" "task_execution_secrets" {
  statement {
    sid       = "ReadCookiesKey"
    actions   = ["ssm:GetParameters"]
    resources = [aws_ssm_parameter.cookies_key.arn]
  }
}

resource "aws_iam_role_policy" "task_execution_secrets" {
  name   = "secrets"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.task_execution_secrets.json
}

# --- The recorder task: reads and updates its job, writes recordings under the prefix.
resource "aws_iam_role" "recorder" {
  name               = "${var.name}-recorder"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "recorder" {
  statement {
    sid       = "JobItems"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
    # Job items, their change-feed entries, the feed's counter and the per-status counters its
    # transitions move; not the URL locks.
    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["job#*", "change#*", "counter#seq", "count#*"]
    }
  }
  statement {
    # Uploads carry the retention tag (x-amz-tagging), and a job pinned while recording is retagged.
    sid       = "WriteRecordings"
    actions   = ["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload", "s3:GetObject"]
    resources = [local.recordings_objects]
  }
  statement {
    # The live preview a recorder renews every 30 s replaces the one before: only previews.
    sid       = "ReplacePreviews"
    actions   = ["s3:DeleteObject"]
    resources = ["${aws_s3_bucket.recordings.arn}/${var.recordings_prefix}previews/*"]
  }
  statement {
    sid       = "FindFreeKeys"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.recordings.arn]
  }
  statement {
    # Every process that opens the aws backend resolves both queue URLs by name.
    sid       = "ResolveQueues"
    actions   = ["sqs:GetQueueUrl"]
    resources = local.queue_arns
  }
}

resource "aws_iam_role_policy" "recorder" {
  name   = "recorder"
  role   = aws_iam_role.recorder.id
  policy = data.aws_iam_policy_document.recorder.json
}

# --- The seeding node: reads jobs and recordings.
resource "aws_iam_role" "seeder" {
  name               = "${var.name}-seeder"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "seeder" {
  statement {
    sid       = "ReadJobs"
    actions   = ["dynamodb:Query"]
    resources = local.table_arns
  }
  statement {
    sid       = "ReadRecordings"
    actions   = ["s3:GetObject"]
    resources = [local.recordings_objects]
  }
  statement {
    sid       = "StatRecordings"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.recordings.arn]
  }
  statement {
    # Every process that opens the aws backend resolves both queue URLs by name.
    sid       = "ResolveQueues"
    actions   = ["sqs:GetQueueUrl"]
    resources = local.queue_arns
  }
}

resource "aws_iam_role_policy" "seeder" {
  name   = "seeder"
  role   = aws_iam_role.seeder.id
  policy = data.aws_iam_policy_document.seeder.json
}

# --- The API function: jobs read/write, submit to the queue, presign downloads, delete
# recordings, stop recorder tasks.
resource "aws_iam_role" "api" {
  name               = "${var.name}-api"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "api" {
  statement {
    # Jobs, channels and webhooks; removing a webhook deletes its deliveries in batches.
    sid       = "Jobs"
    actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchWriteItem"]
    resources = local.table_arns
  }
  statement {
    sid       = "Submit"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
  }
  statement {
    # Every process that opens the aws backend resolves both queue URLs by name.
    sid       = "ResolveQueues"
    actions   = ["sqs:GetQueueUrl"]
    resources = local.queue_arns
  }
  statement {
    # Cookies per site (PUT /api/v1/cookies/{domain}): objects under cookies/, encrypted at rest
    # by the bucket's default SSE; listing tells which domains have some.
    sid       = "StoreCookies"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.recordings.arn}/${var.recordings_prefix}cookies/*"]
  }
  statement {
    sid       = "ListCookies"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.recordings.arn]
  }
  statement {
    # Pinning retags a job's objects so the lifecycle rule keeps them.
    sid       = "DownloadDeleteAndPinRecordings"
    actions   = ["s3:GetObject", "s3:DeleteObject", "s3:PutObjectTagging"]
    resources = [local.recordings_objects]
  }
  statement {
    # A clip asked for here is cut by the dispatcher function (an asynchronous invocation).
    sid       = "CutClips"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.dispatch.arn]
  }
  statement {
    sid       = "StopRecorders"
    actions   = ["ecs:StopTask"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:task/${aws_ecs_cluster.main.name}/*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.api.arn}:*"]
  }
}

resource "aws_iam_role_policy" "api" {
  name   = "api"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api.json
}

# --- The dispatcher function: consumes the queue (and its dead letters), claims jobs, runs
# and watches recorder tasks; once a minute checks channels (a live one gets a job, queued) and
# queues the next check of jobs waiting for their stream.
resource "aws_iam_role" "dispatch" {
  name               = "${var.name}-dispatch"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "dispatch" {
  statement {
    sid       = "ConsumeJobs"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = local.queue_arns
  }
  statement {
    # Every process that opens the aws backend resolves both queue URLs by name.
    sid       = "ResolveQueues"
    actions   = ["sqs:GetQueueUrl"]
    resources = local.queue_arns
  }
  statement {
    sid       = "Jobs"
    actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
    resources = local.table_arns
  }
  statement {
    # A probe of a job on a domain with stored cookies reads them (and lists which domains have some).
    sid       = "ReadCookies"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.recordings.arn}/${var.recordings_prefix}cookies/*"]
  }
  statement {
    sid       = "FindCookies"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.recordings.arn]
  }
  statement {
    # The scheduled pass applies retention (CHRONICLE_RETENTION_DAYS, CHRONICLE_STORAGE_BUDGET).
    sid       = "DeleteExpiredRecordings"
    actions   = ["s3:DeleteObject"]
    resources = [local.recordings_objects]
  }
  statement {
    # Clips: the recording read by ranges (a presigned URL for ffmpeg), the clip stored beside it
    # (multipart for a large one) and kept like its recording when that is pinned.
    sid       = "CutClips"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:PutObjectTagging"]
    resources = [local.recordings_objects]
  }
  statement {
    # A live channel's new job, and a waiting job's next check, go through the queue.
    sid       = "QueueJobsAndChecks"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
  }
  statement {
    sid       = "RunRecorders"
    actions   = ["ecs:RunTask"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:task-definition/${aws_ecs_task_definition.recorder.family}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.main.arn]
    }
  }
  statement {
    sid       = "TagRecorders"
    actions   = ["ecs:TagResource"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:task/${aws_ecs_cluster.main.name}/*"]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }
  statement {
    sid       = "WatchRecorders"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:task/${aws_ecs_cluster.main.name}/*"]
  }
  statement {
    sid       = "HandRolesToRecorders"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.recorder.arn, aws_iam_role.task_execution.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.dispatch.arn}:*"]
  }
}

resource "aws_iam_role_policy" "dispatch" {
  name   = "dispatch"
  role   = aws_iam_role.dispatch.id
  policy = data.aws_iam_policy_document.dispatch.json
}
