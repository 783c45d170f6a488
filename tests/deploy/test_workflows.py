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
    assert set(on) == {"push"} and on["push"]["branches"] == ["main"]
    assert sorted(on["push"]["paths"]) == ["deploy/terraform/frontend/**", "web/**"]
    assert web["concurrency"]["cancel-in-progress"] is False, "two deploys never overlap"
    script = "\n".join(s.get("run", "") for _, _, s in steps(web))
    assert "npm ci" in script and "npm run build" in script
    assert re.search(r"aws s3 sync web/dist \"s3://\$\{BUCKET\}\" --delete --exclude index.html", script)
    assert "max-age=31536000, immutable" in script, "hashed assets are cached for good"
    assert re.search(r"index.html.*\n?.*--cache-control \"no-cache\"", script), "the page is never cached"
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
