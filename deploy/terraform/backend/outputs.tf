output "api_url" {
  description = "The API (and dashboard origin for the frontend stack)."
  value       = aws_apigatewayv2_api.http.api_endpoint
}

output "api_domain" {
  description = "The API's host name, for the frontend stack's api_domain."
  value       = replace(aws_apigatewayv2_api.http.api_endpoint, "https://", "")
}

output "recordings_bucket" {
  value = aws_s3_bucket.recordings.bucket
}

output "jobs_queue_url" {
  value = aws_sqs_queue.jobs.url
}

output "dead_letter_queue_url" {
  value = aws_sqs_queue.jobs_dlq.url
}

output "jobs_table" {
  value = aws_dynamodb_table.jobs.name
}

output "ecs_cluster" {
  value = aws_ecs_cluster.main.name
}

output "chronicle_env" {
  description = "The environment a `chronicle serve` or CLI host needs to use this stack (add credentials)."
  value       = merge(local.lambda_env, { AWS_REGION = var.region })
}
