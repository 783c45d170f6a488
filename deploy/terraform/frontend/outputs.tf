output "dashboard_url" {
  description = "Where the dashboard (and the API, under /api/) is served."
  value       = var.domain_name != "" ? "https://${var.domain_name}" : "https://${aws_cloudfront_distribution.site.domain_name}"
}

output "distribution_id" {
  description = "For invalidations after a new upload of index.html."
  value       = aws_cloudfront_distribution.site.id
}

output "bucket" {
  value = aws_s3_bucket.site.bucket
}
