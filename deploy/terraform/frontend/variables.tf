variable "region" {
  description = "Region of the dashboard bucket (CloudFront itself is global)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of resource names; the backend stack's name."
  type        = string
  default     = "chronicle"
}

variable "api_domain" {
  description = "Host name of the backend's API (the backend stack's api_domain output)."
  type        = string
}

variable "web_dist" {
  description = "The built dashboard (npm run build in web/)."
  type        = string
  default     = "../../../web/dist"
}

variable "upload_dist" {
  description = "Upload web_dist with Terraform. false when the web pipeline (GitHub Actions) uploads the dashboard."
  type        = bool
  default     = true
}

variable "domain_name" {
  description = "Optional custom domain for the dashboard (e.g. rec.example.com). Empty: the cloudfront.net name."
  type        = string
  default     = ""
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name, issued in us-east-1 (needed with domain_name)."
  type        = string
  default     = ""
  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:us-east-1:", var.certificate_arn))
    error_message = "CloudFront needs an ACM certificate from us-east-1."
  }
}

variable "route53_zone_id" {
  description = "Optional Route 53 hosted zone in which to point domain_name at the distribution."
  type        = string
  default     = ""
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}
