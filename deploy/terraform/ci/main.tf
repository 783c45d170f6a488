# What the GitHub Actions pipelines deploy with: GitHub's OIDC provider, a role that the
# repository's workflows on main assume through it, and a read-only one for pull requests' plans.
# No long-lived keys. The deploy role may do what the pipelines do: web.yml syncs the dashboard's
# bucket and invalidates its distribution; backend.yml pushes images and applies the backend.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      application = "chronicle"
      stack       = var.name
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  oidc_host = "token.actions.githubusercontent.com"
}

# One per account: set create_oidc_provider = false when the account already has it.
resource "aws_iam_openid_connect_provider" "github" {
  count           = var.create_oidc_provider ? 1 : 0
  url             = "https://${local.oidc_host}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

locals {
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.oidc_host}"
}

data "aws_iam_policy_document" "deploy_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    # Only workflows running on main: a pull request or another branch gets no credentials.
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = ["repo:${var.github_repository}:ref:refs/heads/main"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name}-deploy"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "deploy" {
  # web.yml: aws s3 sync --delete of the dashboard's files.
  statement {
    sid       = "WebBucketList"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.web_bucket}"]
  }
  statement {
    sid       = "WebBucketObjects"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.web_bucket}/*"]
  }
  # web.yml: aws cloudfront create-invalidation.
  statement {
    sid       = "WebInvalidation"
    actions   = ["cloudfront:CreateInvalidation"]
    resources = ["arn:${data.aws_partition.current.partition}:cloudfront::${data.aws_caller_identity.current.account_id}:distribution/${var.web_distribution_id}"]
  }
}

# The backend pipeline's terraform apply manages what deploy/terraform/backend declares: the
# services of its resource types, IAM and S3 limited to the stack's names (a role that could make
# any role could make itself an administrator).
locals {
  arn         = "arn:${data.aws_partition.current.partition}"
  account     = data.aws_caller_identity.current.account_id
  state_key   = "chronicle/backend.tfstate"
  stack_names = "${var.name}-*"
}

data "aws_iam_policy_document" "backend_apply" {
  # backend.yml: docker login to ECR, then docker push of the three images.
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "RegistryPush"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload",
      "ecr:PutImage", "ecr:UploadLayerPart",
    ]
    resources = [for r in aws_ecr_repository.image : r.arn]
  }
  # backend.yml: terraform init/plan/apply against the remote state and its lock.
  statement {
    sid       = "StateList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }
  statement {
    sid       = "StateObject"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.state.arn}/${local.state_key}"]
  }
  statement {
    sid       = "StateLock"
    actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.lock.arn]
  }
  statement {
    sid       = "BackendServices"
    actions = [
      "apigateway:*", "cloudwatch:*", "dynamodb:*", "ec2:*", "ecs:*", "events:*", "lambda:*", "logs:*", "sns:*",
      "sqs:*", "ssm:*",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "BackendRoles"
    actions   = ["iam:*"]
    resources = ["${local.arn}:iam::${local.account}:role/${local.stack_names}"]
  }
  statement {
    sid       = "BackendBucket"
    actions   = ["s3:*"]
    resources = ["${local.arn}:s3:::${var.name}-recordings-${local.account}", "${local.arn}:s3:::${var.name}-recordings-${local.account}/*"]
  }
}

resource "aws_iam_role_policy" "backend_apply" {
  name   = "backend-apply"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.backend_apply.json
}

# Pull requests: terraform plan reads everything and takes the state's lock, and changes nothing.
data "aws_iam_policy_document" "plan_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = ["repo:${var.github_repository}:pull_request"]
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${var.name}-plan"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "plan_read" {
  role       = aws_iam_role.plan.name
  policy_arn = "${local.arn}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "plan_state" {
  statement {
    sid       = "StateList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }
  statement {
    sid       = "StateRead"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.state.arn}/${local.state_key}"]
  }
  statement {
    sid       = "StateLock"
    actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.lock.arn]
  }
}

resource "aws_iam_role_policy" "plan_state" {
  name   = "state"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan_state.json
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
