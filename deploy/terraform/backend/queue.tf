# Jobs to dispatch: FIFO, one message group per job, deduplicated by the submit request.
# The dispatcher Lambda consumes it; messages it cannot handle after max_receives
# deliveries move to the dead-letter queue, where the dispatcher marks their jobs failed.
resource "aws_sqs_queue" "jobs_dlq" {
  name                      = "${var.name}-jobs-dlq.fifo"
  fifo_queue                = true
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "jobs" {
  name                        = "${var.name}-jobs.fifo"
  fifo_queue                  = true
  content_based_deduplication = false
  deduplication_scope         = "messageGroup"
  fifo_throughput_limit       = "perMessageGroupId"
  # Six times the dispatcher's timeout, as Lambda recommends for event source queues.
  visibility_timeout_seconds = 6 * local.dispatch_timeout_s
  message_retention_seconds  = 345600
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.jobs_dlq.arn
    maxReceiveCount     = var.max_receives
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "jobs_dlq" {
  queue_url = aws_sqs_queue.jobs_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  })
}
