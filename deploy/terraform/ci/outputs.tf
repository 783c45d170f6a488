output "deploy_role_arn" {
  description = "The repository variable AWS_DEPLOY_ROLE_ARN."
  value       = aws_iam_role.deploy.arn
}

output "plan_role_arn" {
  description = "The repository variable AWS_PLAN_ROLE_ARN (pull requests: terraform plan)."
  value       = aws_iam_role.plan.arn
}

output "state_bucket" {
  description = "The repository variable TF_STATE_BUCKET."
  value       = aws_s3_bucket.state.bucket
}

output "lock_table" {
  description = "The repository variable TF_LOCK_TABLE."
  value       = aws_dynamodb_table.lock.name
}
