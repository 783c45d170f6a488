variable "region" {
  description = "Any region: IAM is global."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of resource names (the stacks' name)."
  type        = string
  default     = "chronicle"
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows on main deploy."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository is owner/name."
  }
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC provider (false when the account already has one)."
  type        = bool
  default     = true
}

variable "web_bucket" {
  description = "The dashboard's bucket (the frontend stack's bucket output)."
  type        = string
}

variable "web_distribution_id" {
  description = "The dashboard's CloudFront distribution (the frontend stack's distribution_id output)."
  type        = string
}
