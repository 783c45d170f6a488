locals {
  # Probing a stream with yt-dlp takes up to CHRONICLE_PROBE_TIMEOUT per message, and a
  # batch holds several messages.
  dispatch_timeout_s = 300
  # The functions run recorders as ECS tasks on the public subnets.
  lambda_env = merge(local.backend_env, {
    CHRONICLE_DATA                = "/tmp/chronicle"
    CHRONICLE_LAUNCHER            = "ecs"
    CHRONICLE_ECS_CLUSTER         = aws_ecs_cluster.main.name
    CHRONICLE_ECS_TASK_DEFINITION = aws_ecs_task_definition.recorder.family
    CHRONICLE_ECS_CONTAINER       = "recorder"
    CHRONICLE_ECS_SUBNETS         = join(",", aws_subnet.public[*].id)
    CHRONICLE_ECS_SECURITY_GROUPS = aws_security_group.recorder.id
    CHRONICLE_SEED                = "0"
    CHRONICLE_TRACKER             = "0"
    CHRONICLE_COOKIES_KEY         = random_id.cookies_key.hex
  })
}

# The API: API Gateway proxy events through the same routes as `chronicle serve`.
resource "aws_lambda_function" "api" {
  function_name = "${var.name}-api"
  role          = aws_iam_role.api.arn
  package_type  = "Image"
  image_uri     = var.lambda_image
  architectures = ["x86_64"]
  memory_size   = 512
  timeout       = 29
  environment {
    # Clips are cut by the dispatcher function (it carries ffmpeg and has the time): the API
    # function invokes it asynchronously for each one.
    variables = merge(local.lambda_env, {
      CHRONICLE_TOKEN         = var.api_token
      CHRONICLE_CLIP_FUNCTION = aws_lambda_function.dispatch.function_name
    })
  }
  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.api.name
  }
  depends_on = [aws_iam_role_policy.api]
}

# The dispatcher: SQS batches (validate, probe, RunTask) with partial batch failures, and
# a sweep every minute that recovers jobs whose recorder died, fails dead letters, checks the
# channels that are due and queues the checks of jobs waiting for their stream.
resource "aws_lambda_function" "dispatch" {
  function_name = "${var.name}-dispatch"
  role          = aws_iam_role.dispatch.arn
  package_type  = "Image"
  image_uri     = var.lambda_image
  architectures = ["x86_64"]
  memory_size   = 1024
  timeout       = local.dispatch_timeout_s
  # A clip is cut in /tmp before it is stored: room for one of several GB.
  ephemeral_storage {
    size = 10240
  }
  environment {
    variables = merge(local.lambda_env, { CHRONICLE_PROBE_TIMEOUT = "30", CHRONICLE_PUBLIC_URL = local.public_url })
  }
  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.dispatch.name
  }
  depends_on = [aws_iam_role_policy.dispatch]
}

resource "aws_lambda_event_source_mapping" "jobs" {
  event_source_arn        = aws_sqs_queue.jobs.arn
  function_name           = aws_lambda_function.dispatch.arn
  batch_size              = 5
  function_response_types = ["ReportBatchItemFailures"]
  scaling_config {
    maximum_concurrency = 5
  }
}

resource "aws_cloudwatch_event_rule" "sweep" {
  name                = "${var.name}-sweep"
  description         = "chronicle: recover lost recorders, fail dead letters, check channels and waiting jobs"
  schedule_expression = "rate(1 minute)"
}

resource "aws_cloudwatch_event_target" "sweep" {
  rule = aws_cloudwatch_event_rule.sweep.name
  arn  = aws_lambda_function.dispatch.arn
}

resource "aws_lambda_permission" "sweep" {
  statement_id  = "AllowEventBridgeSweep"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.dispatch.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep.arn
}
