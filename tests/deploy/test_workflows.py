"""The GitHub Actions workflows, checked offline: each parses, runs on the events and paths it is
meant to, pins every action to a full commit SHA, asks for no more permissions than its job
needs, and every `run:` script passes shellcheck. The same checks fail on a broken workflow."""
import os
import re
import subprocess
import tempfile

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../.."))
WORKFLOWS = os.path.join(ROOT, ".github/workflows")


def load(name):
    with open(os.path.join(WORKFLOWS, name)) as f:
        return yaml.safe_load(f)


def triggers(workflow):
    # YAML 1.1 reads a bare `on` key as true.
    return workflow.get("on", workflow.get(True))


def steps(workflow):
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, job, step


def problems(workflow):
    """What is wrong with a parsed workflow: unpinned actions, write permissions beyond what a
    job's steps need, run scripts shellcheck refuses."""
    found = []
    if workflow.get("permissions") != {"contents": "read"}:
        found.append("the workflow's default permissions are not contents: read")
    for job_name, job, step in steps(workflow):
        uses = step.get("uses")
        if uses and not uses.startswith("./") and not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses):
            found.append(f"{job_name}: {uses} is not pinned to a full commit SHA")
        if uses and uses.startswith("aws-actions/configure-aws-credentials"):
            if (job.get("permissions") or {}).get("id-token") != "write":
                found.append(f"{job_name}: AWS credentials without id-token: write (OIDC)")
            if set(step.get("with", {})) & {"aws-access-key-id", "aws-secret-access-key"}:
                found.append(f"{job_name}: long-lived AWS keys")
        if "run" in step:
            found += [f"{job_name}: {p}" for p in shellcheck(step["run"], job.get("defaults", {}))]
    for job_name, job in workflow["jobs"].items():
        granted = job.get("permissions") or {}
        if granted == "write-all" or any(v == "write" for k, v in granted.items() if k != "id-token"):
            uses = [s.get("uses", "") for s in job.get("steps", [])]
            if not any(u.startswith("peter-evans/create-pull-request") for u in uses):
                found.append(f"{job_name}: write permissions it does not use")
    return found


def shellcheck(script, defaults):
    """shellcheck on a run script, with `${{ ... }}` expressions taken as the text they become."""
    shell = (defaults.get("run") or {}).get("shell", "bash")
    text = re.sub(r"\$\{\{[^}]*\}\}", "expression", script)
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(f"#!/usr/bin/env {shell}\nset -eo pipefail\n{text}")
    try:
        r = subprocess.run(["shellcheck", "--format=gcc", "--exclude=SC2154", f.name],
                           capture_output=True, text=True)
        return [line.split(":", 3)[-1].strip() for line in r.stdout.splitlines()]
    finally:
        os.unlink(f.name)


@pytest.mark.parametrize("name", sorted(os.listdir(WORKFLOWS)))
def test_every_workflow_parses_and_passes_the_checks(name):
    assert name.endswith(".yml"), name
    workflow = load(name)
    assert workflow["name"] and triggers(workflow) and workflow["jobs"], name
    assert problems(workflow) == [], name


def test_ci_runs_the_readme_test_command_on_debian_12_for_every_change():
    ci = load("ci.yml")
    on = triggers(ci)
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    job = ci["jobs"]["test"]
    assert job["container"] == "debian:12" and job["timeout-minutes"] <= 90
    runs = [s.get("run", "") for s in job["steps"]]
    assert any(r.strip() == "./scripts/test.sh" for r in runs)
    cached = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert "/var/cache/apt/archives" in cached["with"]["path"] and "~/.npm" in cached["with"]["path"]
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_web_deploys_the_dashboard_from_main_when_it_changes():
    web = load("web.yml")
    on = triggers(web)
    assert set(on) == {"push", "workflow_dispatch"} and on["push"]["branches"] == ["main"]
    assert sorted(on["push"]["paths"]) == ["deploy/terraform/frontend/**", "web/**"]
    assert web["concurrency"]["cancel-in-progress"] is False, "two deploys never overlap"
    script = "\n".join(s.get("run", "") for _, _, s in steps(web))
    assert "npm ci" in script and "npm run build" in script
    syncs = re.findall(r"aws s3 sync (\S+) (\S+) --delete (.*)", script)
    assert syncs == [("web/dist/assets", '"s3://${BUCKET}/assets"', '\\'),
                     ("web/dist", '"s3://${BUCKET}"', '--exclude "assets/*" --cache-control "no-cache"')], syncs
    assert '--cache-control "public, max-age=31536000, immutable"' in script, "hashed assets are cached for good"
    assert "aws cloudfront create-invalidation" in script
    assert web["jobs"]["deploy"]["env"] == {"BUCKET": "${{ vars.WEB_BUCKET }}",
                                            "DISTRIBUTION": "${{ vars.WEB_DISTRIBUTION_ID }}"}


BROKEN = """
name: broken
on: {push: {branches: [main]}}
permissions: write-all
jobs:
  deploy:
    runs-on: ubuntu-24.04
    permissions: {contents: write}
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502
        with: {aws-access-key-id: AKIA, aws-secret-access-key: secret, aws-region: eu-west-1}
      - run: |
          files=$(ls web/dist)
          for f in $files; do aws s3 cp web/dist/$f s3://$BUCKET/; done
"""


def test_a_broken_workflow_fails_the_checks():
    found = problems(yaml.safe_load(BROKEN))
    text = "\n".join(found)
    assert "default permissions" in text
    assert "actions/checkout@v4 is not pinned" in text
    assert "without id-token: write" in text and "long-lived AWS keys" in text
    assert "write permissions it does not use" in text
    assert "SC2086" in text or "Double quote" in text, text
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load("on: [push\njobs: {}")


# The IAM actions each command a workflow runs needs.
ECR_PUSH = {"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
            "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"}
STATE = {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "dynamodb:PutItem",
         "dynamodb:DeleteItem"}
NEEDS = {
    ("aws", "s3", "sync"): {"s3:ListBucket", "s3:PutObject"},
    ("aws", "s3", "sync", "--delete"): {"s3:ListBucket", "s3:PutObject", "s3:DeleteObject"},
    ("aws", "s3", "cp"): {"s3:PutObject"},
    ("aws", "cloudfront", "create-invalidation"): {"cloudfront:CreateInvalidation"},
    ("aws", "sts", "get-caller-identity"): set(),
    ("aws", "ecr", "get-login-password"): {"ecr:GetAuthorizationToken"},
    ("docker", "login"): set(),
    ("docker", "build"): set(),
    ("docker", "push"): ECR_PUSH,
    ("terraform", "init"): STATE,
    ("terraform", "plan"): STATE,
    ("terraform", "apply"): STATE,
}

# The IAM service each Terraform resource type of the backend lives in.
SERVICE_OF = [("aws_iam_", "iam"), ("aws_cloudwatch_log_", "logs"), ("aws_cloudwatch_metric_alarm", "cloudwatch"),
              ("aws_cloudwatch_event_", "events"), ("aws_apigatewayv2_", "apigateway"), ("aws_s3_", "s3"),
              ("aws_sqs_", "sqs"), ("aws_sns_", "sns"), ("aws_ssm_", "ssm"), ("aws_lambda_", "lambda"),
              ("aws_ecs_", "ecs"), ("aws_dynamodb_", "dynamodb"), ("aws_vpc", "ec2"), ("aws_subnet", "ec2"),
              ("aws_security_group", "ec2"), ("aws_route_table", "ec2"), ("aws_internet_gateway", "ec2"),
              ("aws_availability_zones", "ec2")]


def service_of(resource_type):
    for prefix, service in SERVICE_OF:
        if resource_type.startswith(prefix):
            return service
    raise AssertionError(f"{resource_type}: which IAM service? add it to SERVICE_OF")


def commands():
    """(workflow, command key, needed actions) for every aws, docker and terraform command in the
    workflows' run scripts."""
    out = []
    for name in sorted(os.listdir(WORKFLOWS)):
        for job_name, job, step in steps(load(name)):
            script = re.sub(r"\\\n\s*", " ", step.get("run", ""))
            # Where a command starts: a line, a pipe, && or $( ... ).
            for m in re.finditer(r"(?m)(?:^\s*|\|\s*|&&\s*|\$\()(aws|docker|terraform) (\S+) ?(\S*)([^\n;&|]*)",
                                 script):
                tool, first, second, rest = m.groups()
                key = (tool, first, second) if tool == "aws" else (tool, first)
                key += ("--delete",) if tool == "aws" and "--delete" in rest else ()
                assert key in NEEDS, f"{name}: which IAM actions does `{' '.join(key)}` need? add it to NEEDS"
                out.append((name, key, NEEDS[key]))
    return out


def test_the_deploy_role_may_do_exactly_what_the_workflows_do():
    from test_deploy import Module
    ci = Module(os.path.join(ROOT, "deploy/terraform/ci"))
    backend = Module(os.path.join(ROOT, "deploy/terraform/backend"))
    deploy = [ci.data[f"data.aws_iam_policy_document.{name}"] for name in ("deploy", "backend_apply")]
    granted = {a for doc in deploy for s in doc["statement"] for a in s["actions"]}
    ran = commands()
    assert {key[:2] for _, key, _ in ran} >= {("aws", "s3"), ("docker", "push"), ("terraform", "apply")}
    named = set().union(*(actions for _, _, actions in ran))
    assert {a for a in granted if not a.endswith(":*")} == named, "single actions: exactly those the commands need"
    # terraform apply manages the backend's resources: the services of their types, nothing else.
    kinds = {ref.split(".")[0] for ref in backend.resources} | {ref.split(".")[1] for ref in backend.data
                                                                   if not ref.startswith("data.aws_iam_policy")}
    services = {service_of(k) for k in kinds if k.startswith("aws_") and k not in ("aws_caller_identity", "aws_partition")}
    assert {a[:-2] for a in granted if a.endswith(":*")} == services
    for doc in deploy:
        for s in doc["statement"]:
            if s["actions"] in (["iam:*"], ["s3:*"]):
                assert all("${var.name}-" in r or "${local.stack_names}" in r for r in s["resources"]), s
    # Only workflows on main get the deploy role; pull requests get the plan role, read-only.
    for role, subject in (("deploy_trust", "ref:refs/heads/main"), ("plan_trust", "pull_request")):
        trust = ci.data[f"data.aws_iam_policy_document.{role}"]["statement"][0]
        conditions = {c["variable"]: (c["test"], c["values"]) for c in trust["condition"]}
        assert conditions["${local.oidc_host}:aud"] == ("StringEquals", ["sts.amazonaws.com"])
        assert conditions["${local.oidc_host}:sub"] == ("StringEquals", [f"repo:${{var.github_repository}}:{subject}"])
    plan_actions = {a for s in ci.data["data.aws_iam_policy_document.plan_state"]["statement"] for a in s["actions"]}
    assert "s3:PutObject" not in plan_actions, "a plan never writes the state"
    assert ci.resources["aws_iam_role_policy_attachment.plan_read"]["policy_arn"].endswith(":iam::aws:policy/ReadOnlyAccess")
    for ref in set().union(*(ci.refs(v) for _, v in ci.nodes())):
        assert ci.declared(ref), ref
    for output in ("deploy_role_arn", "plan_role_arn", "state_bucket", "lock_table"):
        assert output in ci.outputs


def test_backend_deploys_the_images_of_this_commit_and_plans_pull_requests():
    backend_wf = load("backend.yml")
    on = triggers(backend_wf)
    paths = ["src/**", "CMakeLists.txt", "deploy/docker/**", "deploy/tools/**", "deploy/terraform/backend/**"]
    assert on["push"]["branches"] == ["main"] and on["push"]["paths"] == paths and on["pull_request"]["paths"] == paths
    images = backend_wf["jobs"]["images"]
    assert images["if"] == "github.event_name == 'push'"
    with open(os.path.join(ROOT, "deploy/docker/Dockerfile")) as f:
        stages = re.findall(r"^FROM \S+ AS (\w+)", f.read(), re.M)
    assert sorted(images["strategy"]["matrix"]["target"]) == sorted(set(stages) - {"build", "tools", "runtime"})
    push = "\n".join(s.get("run", "") for s in images["steps"])
    assert 'image="${registry}/chronicle-${TARGET}:${TAG}"' in push and "docker push" in push
    assert images["steps"][-1]["env"]["TAG"] == "${{ github.sha }}"
    tf = backend_wf["jobs"]["terraform"]
    assert tf["needs"] == ["images"]
    plan = next(s for s in tf["steps"] if s.get("name", "").startswith("Plan"))["run"]
    from test_deploy import Module
    declared = Module(os.path.join(ROOT, "deploy/terraform/backend")).variables
    for var in re.findall(r'-var "(\w+)=', plan):
        assert var in declared, var
    assert {"recorder_image", "lambda_image", "seeder_image"} <= set(re.findall(r'-var "(\w+)=', plan))
    apply = next(s for s in tf["steps"] if s.get("name") == "Apply")
    assert apply["if"] == "github.event_name == 'push'" and "terraform apply -input=false tfplan" in apply["run"]
    role = next(s for s in tf["steps"] if s.get("uses", "").startswith("aws-actions/"))["with"]["role-to-assume"]
    assert role == "${{ github.event_name == 'push' && vars.AWS_DEPLOY_ROLE_ARN || vars.AWS_PLAN_ROLE_ARN }}"
    assert backend_wf["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
