locals {
  # What every chronicle process on AWS needs to find its resources (see README: configuration).
  backend_env = {
    CHRONICLE_BACKEND            = "aws"
    CHRONICLE_S3_BUCKET          = aws_s3_bucket.recordings.bucket
    CHRONICLE_S3_ADDRESSING      = "virtual"
    CHRONICLE_SQS_QUEUE          = aws_sqs_queue.jobs.name
    CHRONICLE_SQS_DLQ            = aws_sqs_queue.jobs_dlq.name
    CHRONICLE_DYNAMODB_TABLE     = aws_dynamodb_table.jobs.name
    CHRONICLE_MAX_RECEIVES       = tostring(var.max_receives)
    CHRONICLE_MAX_RECORDINGS     = tostring(var.max_recordings)
    CHRONICLE_JOB_RETENTION_DAYS = tostring(var.job_retention_days)
    CHRONICLE_RETENTION_DAYS     = tostring(var.recording_retention_days)
    CHRONICLE_STORAGE_BUDGET     = tostring(var.storage_budget_bytes)
    CHRONICLE_TRACKERS           = join(",", var.trackers)
    CHRONICLE_LOG_LEVEL          = "info"
  }
  public_url = var.public_url != "" ? var.public_url : aws_apigatewayv2_api.http.api_endpoint
}

resource "aws_ecs_cluster" "main" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# One recorder per job: the dispatcher runs it with the command `record --job <id>` (a
# container override); a StopTask sends SIGTERM, and the recorder stores what it has.
resource "aws_ecs_task_definition" "recorder" {
  family                   = "${var.name}-recorder"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.recorder_cpu
  memory                   = var.recorder_memory
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.recorder.arn
  ephemeral_storage {
    size_in_gib = var.recorder_ephemeral_gib
  }
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  container_definitions = jsonencode([{
    name      = "recorder"
    image     = var.recorder_image
    essential = true
    command   = ["--help"] # replaced by `record --job <id>` when the dispatcher runs it
    # Time to stop yt-dlp, remux and upload what was recorded (the ECS maximum).
    stopTimeout = 120
    # An init process as PID 1 forwards ECS's SIGTERM and reaps ffmpeg when yt-dlp leaves it.
    linuxParameters = { initProcessEnabled = true }
    # The token signs the web seed put into each .torrent (BitTorrent clients have no token).
    environment = [for k, v in merge(local.backend_env, {
      CHRONICLE_DATA       = "/data"
      CHRONICLE_PUBLIC_URL = local.public_url
    }, var.api_token == "" ? {} : { CHRONICLE_TOKEN = var.api_token }) : { name = k, value = v }]
    # The key that opens a job's stored cookies, from Parameter Store (not shown in the task definition).
    secrets = [{ name = "CHRONICLE_COOKIES_KEY", valueFrom = aws_ssm_parameter.cookies_key.arn }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.recorder.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "recorder"
      }
    }
  }])
}

# The seeding node: pulls finished recordings from S3 into its cache and seeds them.
resource "aws_ecs_task_definition" "seeder" {
  family                   = "${var.name}-seeder"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 2048
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.seeder.arn
  ephemeral_storage {
    size_in_gib = var.seeder_ephemeral_gib
  }
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  container_definitions = jsonencode([{
    name         = "seeder"
    image        = var.seeder_image
    essential    = true
    command      = ["seed"]
    stopTimeout  = 30
    linuxParameters = { initProcessEnabled = true }
    portMappings = [{ containerPort = var.seed_port, protocol = "tcp" }, { containerPort = var.seed_port, protocol = "udp" }]
    environment = [for k, v in merge(local.backend_env, {
      CHRONICLE_DATA        = "/data"
      CHRONICLE_SEED_LISTEN = "0.0.0.0:${var.seed_port}"
      CHRONICLE_SEED_DHT    = "1"
    }) : { name = k, value = v }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.seeder.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "seeder"
      }
    }
  }])
}

resource "aws_ecs_service" "seeder" {
  name            = "${var.name}-seeder"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.seeder.arn
  desired_count   = var.seeders
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = aws_subnet.public[*].id
    security_groups  = [aws_security_group.seeder.id]
    assign_public_ip = true
  }
}
