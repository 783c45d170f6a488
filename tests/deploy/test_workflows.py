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


# The IAM actions each AWS CLI command a workflow runs needs.
NEEDS = {
    ("s3", "sync"): {"s3:ListBucket", "s3:PutObject"},
    ("s3", "sync", "--delete"): {"s3:ListBucket", "s3:PutObject", "s3:DeleteObject"},
    ("s3", "cp"): {"s3:PutObject"},
    ("cloudfront", "create-invalidation"): {"cloudfront:CreateInvalidation"},
    ("sts", "get-caller-identity"): set(),
}


def aws_commands():
    """(workflow, service, command, needed actions) for every `aws` command in the run scripts of
    the jobs that take the deploy role."""
    out = []
    for name in sorted(os.listdir(WORKFLOWS)):
        for job_name, job, step in steps(load(name)):
            script = re.sub(r"\\\n\s*", " ", step.get("run", ""))
            for m in re.finditer(r"\baws (\S+) (\S+)([^\n;&|]*)", script):
                key = (m.group(1), m.group(2)) + (("--delete",) if "--delete" in m.group(3) else ())
                assert key in NEEDS, f"{name}: no IAM mapping for `aws {' '.join(key)}`: add it to NEEDS"
                out.append((name, key, NEEDS[key]))
    return out


def test_the_deploy_role_may_do_exactly_what_the_workflows_do():
    from test_deploy import Module
    ci = Module(os.path.join(ROOT, "deploy/terraform/ci"))
    granted = {a for s in ci.data["data.aws_iam_policy_document.deploy"]["statement"] for a in s["actions"]}
    needed = set().union(*(actions for _, _, actions in aws_commands()))
    assert granted == needed, f"granted beyond the workflows: {granted - needed}; missing: {needed - granted}"
    for s in ci.data["data.aws_iam_policy_document.deploy"]["statement"]:
        assert all("*" not in r.split(":::")[-1].replace("/*", "") for r in s["resources"]), s
    # Only workflows on main get credentials, and only with GitHub's audience.
    trust = ci.data["data.aws_iam_policy_document.deploy_trust"]["statement"][0]
    conditions = {c["variable"]: (c["test"], c["values"]) for c in trust["condition"]}
    assert conditions["${local.oidc_host}:aud"] == ("StringEquals", ["sts.amazonaws.com"])
    assert conditions["${local.oidc_host}:sub"] == ("StringEquals",
                                                    ["repo:${var.github_repository}:ref:refs/heads/main"])
    for ref in set().union(*(ci.refs(v) for _, v in ci.nodes())):
        assert ci.declared(ref), ref
    assert ci.outputs["deploy_role_arn"]["value"] == "${aws_iam_role.deploy.arn}"
