# chronicle on AWS: the API and the dispatcher as Lambda functions behind API Gateway and an
# SQS FIFO queue, recorders as ECS Fargate tasks, jobs in DynamoDB, recordings in S3, and a
# seeding node as an ECS service.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
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
data "aws_availability_zones" "available" {
  state = "available"
}
