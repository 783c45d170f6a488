"""The deployment, checked offline: no Terraform or Docker engine runs here, so the HCL is
parsed with HashiCorp's parser (npm @cdktf/hcl2json), references and dependency cycles are
resolved as Terraform would, and what the code expects (names, environment variables, the
AWS actions it calls) is checked against what the Terraform and the Dockerfile declare."""
import json
import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../.."))
BACKEND = os.path.join(ROOT, "deploy/terraform/backend")
FRONTEND = os.path.join(ROOT, "deploy/terraform/frontend")
DOCKERFILE = os.path.join(ROOT, "deploy/docker/Dockerfile")
CHRONICLE = os.environ.get("CHRONICLE_BIN", os.path.join(ROOT, "build/chronicle"))


def source(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def parse(directory):
    r = subprocess.run(["node", os.path.join(HERE, "hcl2json.mjs"), directory], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


class Module:
    """A Terraform module's declarations and the references between them."""

    REF = re.compile(r"(?<![\w.])(?:(var|local)\.(\w+)|data\.(\w+)\.(\w+)|(aws_\w+)\.(\w+))")

    def __init__(self, directory):
        self.files = parse(directory)
        self.variables, self.locals, self.resources, self.data, self.outputs = {}, {}, {}, {}, {}
        for doc in self.files.values():
            for name, body in doc.get("variable", {}).items():
                self.variables[name] = body[0]
            for block in doc.get("locals", []):
                self.locals.update(block)
            for kind, named in doc.get("resource", {}).items():
                for name, body in named.items():
                    self.resources[f"{kind}.{name}"] = body[0]
            for kind, named in doc.get("data", {}).items():
                for name, body in named.items():
                    self.data[f"data.{kind}.{name}"] = body[0]
            for name, body in doc.get("output", {}).items():
                self.outputs[name] = body[0]
            for name, body in doc.get("provider", {}).items():
                self.outputs[f"provider.{name}"] = body[0]

    def refs(self, value):
        """Every var./local./data./resource reference inside the expressions of `value`."""
        found = set()
        for text in self._strings(value):
            if "${" not in text:
                continue
            for m in self.REF.finditer(text):
                if m.group(1):
                    found.add(f"{m.group(1)}.{m.group(2)}")
                elif m.group(3):
                    found.add(f"data.{m.group(3)}.{m.group(4)}")
                else:
                    found.add(f"{m.group(5)}.{m.group(6)}")
        return found

    def _strings(self, value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for k, v in value.items():
                yield from self._strings(k)
                yield from self._strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from self._strings(v)

    def declared(self, ref):
        if ref.startswith("var."):
            return ref[4:] in self.variables
        if ref.startswith("local."):
            return ref[6:] in self.locals
        return ref in self.data or ref in self.resources

    def nodes(self):
        yield from ((f"local.{k}", v) for k, v in self.locals.items())
        yield from self.resources.items()
        yield from self.data.items()

    def resource(self, ref):
        return self.resources[ref]


@pytest.fixture(scope="module")
def backend():
    return Module(BACKEND)


@pytest.fixture(scope="module")
def frontend():
    return Module(FRONTEND)


def policy_actions(backend, name):
    doc = backend.data[f"data.aws_iam_policy_document.{name}"]
    return {a for s in doc["statement"] for a in s["actions"]}


def test_hcl_parses_and_a_syntax_error_would_be_caught(tmp_path):
    assert parse(BACKEND) and parse(FRONTEND)
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = "y"\n')
    r = subprocess.run(["node", os.path.join(HERE, "hcl2json.mjs"), str(tmp_path)], capture_output=True, text=True)
    assert r.returncode != 0 and "Unclosed configuration block" in r.stderr


@pytest.mark.parametrize("which", ["backend", "frontend"])
def test_every_reference_is_declared_and_nothing_depends_on_itself(which, request):
    module = request.getfixturevalue(which)
    everything = dict(module.nodes())
    everything.update({f"output.{k}": v for k, v in module.outputs.items()})
    undeclared = {(name, ref) for name, body in everything.items() for ref in module.refs(body)
                  if not module.declared(ref)}
    assert not undeclared
    graph = {name: {r for r in module.refs(body) if not r.startswith("var.")} for name, body in module.nodes()}
    state = {}

    def visit(node, path):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", "dependency cycle: " + " -> ".join(path + [node])
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])
        state[node] = "done"

    for node in sorted(graph):
        visit(node, [])
    used_vars = {r[4:] for body in everything.values() for r in module.refs(body) if r.startswith("var.")}
    assert set(module.variables) == used_vars, "declared but unused variables"


def test_the_environment_names_only_settings_chronicle_reads(backend):
    known = set(re.findall(r'"(CHRONICLE_[A-Z0-9_]+)"', source("src/core/settings.cpp")))
    text = "".join(open(os.path.join(BACKEND, f)).read() for f in os.listdir(BACKEND) if f.endswith(".tf"))
    assert set(re.findall(r"\b(CHRONICLE_[A-Z0-9_]+)\b", text)) <= known
    # The functions get lambda_env: backend_env merged with the launcher's settings.
    lambda_env = backend.locals["lambda_env"]
    assert lambda_env.startswith("${merge(local.backend_env,")
    for name in ["CHRONICLE_LAUNCHER", "CHRONICLE_ECS_CLUSTER", "CHRONICLE_ECS_TASK_DEFINITION",
                 "CHRONICLE_ECS_CONTAINER", "CHRONICLE_ECS_SUBNETS", "CHRONICLE_ECS_SECURITY_GROUPS"]:
        assert re.search(rf"\b{name}\s*=", lambda_env), name
    assert re.search(r'CHRONICLE_LAUNCHER\s*=\s*"ecs"', lambda_env)
    for name in ["CHRONICLE_BACKEND", "CHRONICLE_S3_BUCKET", "CHRONICLE_SQS_QUEUE", "CHRONICLE_SQS_DLQ",
                 "CHRONICLE_DYNAMODB_TABLE", "CHRONICLE_MAX_RECEIVES"]:
        assert name in backend.locals["backend_env"], name
    assert backend.locals["backend_env"]["CHRONICLE_BACKEND"] == "aws"
    for ref in ["aws_ecs_task_definition.recorder.family", "aws_ecs_cluster.main.name", "aws_subnet.public",
                "aws_security_group.recorder.id"]:
        assert ref in lambda_env, ref
    # The ECS launcher names the container it overrides; the task definition must have it.
    container = re.search(r'CHRONICLE_ECS_CONTAINER\s*=\s*"(\w+)"', lambda_env).group(1)
    definition = backend.resource("aws_ecs_task_definition.recorder")["container_definitions"]
    assert re.search(rf'name\s*=\s*"{container}"', definition)
    for function in ["api", "dispatch"]:
        assert "local.lambda_env" in json.dumps(backend.resource(f"aws_lambda_function.{function}")["environment"])


def test_the_table_and_queues_are_the_ones_the_adapters_use(backend):
    store = source("src/store/dynamodb/dynamodb_job_store.cpp") + source("src/store/dynamodb/dynamodb_channel_store.cpp")
    table = backend.resource("aws_dynamodb_table.jobs")
    assert table["hash_key"] == "pk"
    assert {g["name"] for g in table["global_secondary_index"]} == set(
        re.findall(r'\{"IndexName", "(\w+)"\},\s*\{"KeySchema"', store))
    for g in table["global_secondary_index"]:
        keys = re.search(r'\{"IndexName", "%s"\},\s*\{"KeySchema",\s*\{\{\{"AttributeName", "(\w+)"\}.*?'
                         r'\{\{"AttributeName", "(\w+)"\}' % g["name"], store, re.S)
        assert (g["hash_key"], g["range_key"]) == keys.groups()
    assert table["ttl"][0] == {"attribute_name": "expires_at", "enabled": True}
    assert '"AttributeName", "expires_at"' in store
    jobs, dlq = backend.resource("aws_sqs_queue.jobs"), backend.resource("aws_sqs_queue.jobs_dlq")
    assert jobs["fifo_queue"] and dlq["fifo_queue"]
    assert jobs["name"].endswith(".fifo") and dlq["name"].endswith(".fifo")
    assert "aws_sqs_queue.jobs_dlq.arn" in jobs["redrive_policy"] and "var.max_receives" in jobs["redrive_policy"]
    mapping = backend.resource("aws_lambda_event_source_mapping.jobs")
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert "aws_lambda_function.dispatch" in mapping["function_name"]


# What each role's code calls. The JSON-protocol actions are read from the source below, so
# an action added to the code without a policy for it fails here.
ROLE_NEEDS = {
    "recorder": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "s3:PutObject", "s3:PutObjectTagging",
                 "s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject", "sqs:GetQueueUrl"},
    "seeder": {"dynamodb:Query", "s3:GetObject", "s3:ListBucket", "sqs:GetQueueUrl"},
    "api": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
            "dynamodb:BatchWriteItem",
            "sqs:SendMessage", "sqs:GetQueueUrl", "s3:GetObject", "s3:DeleteObject", "s3:PutObjectTagging", "ecs:StopTask",
            "s3:PutObject", "s3:ListBucket", "lambda:InvokeFunction"},
    "dispatch": {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
                 "sqs:GetQueueUrl", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
                 "ecs:RunTask", "ecs:TagResource", "ecs:DescribeTasks", "ecs:StopTask", "iam:PassRole", "s3:DeleteObject",
                 "s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload", "s3:PutObjectTagging"},
}
# Not called by chronicle: Lambda writes the functions' logs with their role.
LAMBDA_LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
ROLE_NEEDS["api"] |= LAMBDA_LOGS
ROLE_NEEDS["dispatch"] |= LAMBDA_LOGS
# Called only by `chronicle provision`, which an operator runs with their own credentials.
PROVISION_ONLY = {"dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive",
                  "sqs:CreateQueue", "s3:CreateBucket",
                  # S3ObjectStore::retention_tag: read by the tests and operators, never by a role.
                  "s3:GetObjectTagging"}


def actions_in_code():
    called = set()
    for path, service in [("src/store/dynamodb/dynamodb_job_store.cpp", "dynamodb"),
                          ("src/store/dynamodb/dynamodb_channel_store.cpp", "dynamodb"),
                          ("src/store/dynamodb/dynamodb_webhook_store.cpp", "dynamodb"),
                          ("src/store/dynamodb/items.hpp", "dynamodb"),
                          ("src/queue/sqs/sqs_job_queue.cpp", "sqs"), ("src/dispatch/ecs_launcher.cpp", "ecs")]:
        for action in re.findall(r'(?:call|dynamo)\(\s*(?:\w+,\s*)?"([A-Z]\w+)"', source(path)):
            called.add(f"{service}:{action}")
    # Transactions are authorised per item: a Put, Update or Delete inside one needs PutItem,
    # UpdateItem or DeleteItem.
    store = source("src/store/dynamodb/dynamodb_job_store.cpp") + source("src/store/dynamodb/dynamodb_channel_store.cpp")
    assert not re.search(r'\{\{"ConditionCheck"', store)
    if "dynamodb:TransactWriteItems" in called:
        called.remove("dynamodb:TransactWriteItems")
        for item in set(re.findall(r'\{\{"(Put|Update|Delete)"', store)):
            called.add(f"dynamodb:{item}Item")
    s3 = source("src/blob/s3/s3_object_store.cpp")
    methods = set(re.findall(r'"(PUT|POST|GET|HEAD|DELETE)"', s3))
    assert methods == {"PUT", "POST", "GET", "HEAD", "DELETE"}, methods
    called |= {"s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject", "s3:AbortMultipartUpload"}
    if "?tagging=" in s3 and "x-amz-tagging" in s3:
        called |= {"s3:PutObjectTagging", "s3:GetObjectTagging"}
    if "create_bucket" in s3:
        called.add("s3:CreateBucket")
    if "/invocations" in source("src/dispatch/lambda_clip_cutter.cpp"):
        called.add("lambda:InvokeFunction")
    if "RunTask" in source("src/dispatch/ecs_launcher.cpp") and '"tags"' in source("src/dispatch/ecs_launcher.cpp"):
        called |= {"ecs:TagResource", "iam:PassRole"}
    return called


def test_every_aws_action_the_code_calls_is_granted_to_a_role_that_needs_it(backend):
    called = actions_in_code()
    granted = {role: policy_actions(backend, role) for role in ROLE_NEEDS}
    for role, needs in ROLE_NEEDS.items():
        assert needs <= granted[role], f"{role} lacks {needs - granted[role]}"
        assert granted[role] <= needs, f"{role} is granted more than it calls: {granted[role] - needs}"
    covered = set().union(*ROLE_NEEDS.values()) | PROVISION_ONLY
    assert called <= covered, f"called by the code but granted to no role: {called - covered}"
    assert {"sqs:SendMessage", "sqs:ReceiveMessage", "ecs:RunTask", "dynamodb:Query"} <= called


def test_least_privilege_where_the_issue_draws_lines(backend):
    recorder = backend.data["data.aws_iam_policy_document.recorder"]["statement"]
    writes = [s for s in recorder if "s3:PutObject" in s["actions"]]
    assert writes and all(s["resources"] == ["${local.recordings_objects}"] for s in writes)
    assert "${var.recordings_prefix}*" in backend.locals["recordings_objects"]
    items = [s for s in recorder if any(a.startswith("dynamodb:") for a in s["actions"])]
    assert all(s["condition"][0]["variable"] == "dynamodb:LeadingKeys" for s in items)
    assert not policy_actions(backend, "recorder") & {"sqs:SendMessage", "ecs:RunTask"}
    # A recorder deletes only the live previews it replaces, never a recording.
    deletes = [s for s in recorder if "s3:DeleteObject" in s["actions"]]
    assert deletes and all(s["resources"] == ["${aws_s3_bucket.recordings.arn}/${var.recordings_prefix}previews/*"]
                           for s in deletes)
    dispatch = backend.data["data.aws_iam_policy_document.dispatch"]["statement"]
    run = next(s for s in dispatch if "ecs:RunTask" in s["actions"])
    assert "aws_ecs_task_definition.recorder.family" in run["resources"][0]
    passed = next(s for s in dispatch if "iam:PassRole" in s["actions"])
    assert passed["resources"] == ["${aws_iam_role.recorder.arn}", "${aws_iam_role.task_execution.arn}"]
    for s in dispatch:
        if s["actions"] == ["sqs:SendMessage"]:
            # Channels' jobs and waiting jobs' checks go to the jobs queue, never the dead letters.
            assert s["resources"] == ["${aws_sqs_queue.jobs.arn}"]
        elif any(a.startswith("sqs:") and a != "sqs:GetQueueUrl" for a in s["actions"]):
            assert s["resources"] == "${local.queue_arns}"


def test_what_the_issue_lists_is_all_there(backend, frontend):
    for ref in ["aws_vpc.main", "aws_subnet.public", "aws_ecs_cluster.main", "aws_ecs_task_definition.recorder",
                "aws_sqs_queue.jobs", "aws_sqs_queue.jobs_dlq", "aws_lambda_function.api",
                "aws_lambda_function.dispatch", "aws_lambda_event_source_mapping.jobs", "aws_dynamodb_table.jobs",
                "aws_apigatewayv2_api.http", "aws_apigatewayv2_integration.api", "aws_cloudwatch_log_group.api",
                "aws_cloudwatch_log_group.dispatch", "aws_cloudwatch_log_group.recorder",
                "aws_cloudwatch_metric_alarm.dead_letters", "aws_ecs_service.seeder"]:
        assert ref in backend.resources, ref
    alarm = backend.resource("aws_cloudwatch_metric_alarm.dead_letters")
    assert alarm["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert "aws_sqs_queue.jobs_dlq.name" in json.dumps(alarm["dimensions"])
    for ref in ["aws_s3_bucket.site", "aws_cloudfront_distribution.site", "aws_cloudfront_origin_access_control.site",
                "aws_s3_bucket_policy.site", "aws_route53_record.site"]:
        assert ref in frontend.resources, ref
    distribution = frontend.resource("aws_cloudfront_distribution.site")
    s3_origin = next(o for o in distribution["origin"] if o["origin_id"] == "dashboard")
    assert "aws_cloudfront_origin_access_control.site.id" in s3_origin["origin_access_control_id"]
    assert {b["path_pattern"] for b in distribution["ordered_cache_behavior"]} >= {"/api/*"}
    assert "var.domain_name" in json.dumps(distribution["aliases"])


def test_the_dockerfile_builds_each_role_and_ships_what_the_binary_links(backend):
    text = open(DOCKERFILE).read()
    stages = dict(re.findall(r"^FROM (\S+) AS (\w+)$", text, re.M)[i][::-1]
                  for i in range(len(re.findall(r"^FROM ", text, re.M))))
    assert {"build", "runtime", "recorder", "lambda", "seeder"} <= set(stages)
    assert stages["recorder"] == stages["lambda"] == stages["seeder"] == "runtime"

    def stage(name):
        return re.search(rf"^FROM \S+ AS {name}$(.*?)(?=^FROM |\Z)", text, re.M | re.S).group(1)

    assert '"lambda"]' in stage("lambda") and "ENTRYPOINT" in stage("lambda")
    assert "ffmpeg" in stage("recorder") and "yt-dlp" in stage("recorder") and "yt-dlp" in stage("lambda")
    assert 'CMD ["seed"]' in stage("seeder")
    helptext = subprocess.run([CHRONICLE, "--help"], capture_output=True, text=True).stdout
    for sub in ["record", "lambda", "seed"]:
        assert re.search(rf"^\s+{sub}\s", helptext, re.M), sub
    # Every shared library the binary needs comes from a package the runtime stage installs.
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", stage("runtime").split("apt-get install", 1)[1]
                               .split("&&", 1)[0]))
    ldd = subprocess.run(["ldd", CHRONICLE], capture_output=True, text=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    needed = re.findall(r"\(NEEDED\).*\[(.+)\]", subprocess.run(["readelf", "-d", CHRONICLE], capture_output=True,
                                                                 text=True).stdout)
    missing = []
    for lib in needed:
        real = os.path.realpath(paths[lib])
        owner = ""
        for candidate in (real, paths[lib], real.replace("/usr/lib", "/lib", 1)):
            r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if r.returncode == 0:
                owner = r.stdout.split(":")[0]
                break
        assert owner, lib
        if owner not in installed:
            missing.append((lib, owner))
    assert not missing
    # The images Terraform runs are the ones built here.
    for var in ["recorder_image", "lambda_image", "seeder_image"]:
        assert var in backend.variables
    assert 'package_type  = "Image"' in open(os.path.join(BACKEND, "lambda.tf")).read()


SYSTEMD = os.path.join(ROOT, "deploy/systemd")


def unit_settings(name):
    """The unit's Key=Value lines (the last one of a key wins, as in systemd)."""
    settings = {}
    for line in open(os.path.join(SYSTEMD, name)):
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, value = line.split("=", 1)
            settings[key] = value
    return settings


def verify_units(directory, names):
    """systemd-analyze verify; it exits 0 even for a line it ignores, so its complaints count too."""
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", *[os.path.join(directory, n) for n in names]],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice"))
    return r.returncode, r.stderr.strip()


def test_the_systemd_units_verify_and_keep_recorders_running(tmp_path):
    names = ["chronicle.service", "chronicle-seed.service"]
    # verify also checks that ExecStart exists: the units point at where the README installs the
    # binary, here at one that exists.
    for n in names:
        text = open(os.path.join(SYSTEMD, n)).read()
        assert "ExecStart=/usr/local/bin/chronicle " in text, n
        (tmp_path / n).write_text(text.replace("/usr/local/bin/chronicle", "/bin/true"))
    code, complaints = verify_units(tmp_path, names)
    assert code == 0 and complaints == "", complaints
    # The check would catch a setting systemd ignores.
    (tmp_path / "broken.service").write_text("[Service]\nExecStart=/bin/true\nKillMode=sometimes\n")
    assert "kill mode" in verify_units(tmp_path, ["broken.service"])[1]

    serve, seed = unit_settings("chronicle.service"), unit_settings("chronicle-seed.service")
    # Recorders run in sessions of their own and must outlive a restart of serve.
    assert serve["KillMode"] == "process"
    for unit, state in ((serve, "chronicle"), (seed, "chronicle-seed")):
        assert unit["User"] == "chronicle" and unit["StateDirectory"] == state
        assert f"--data /var/lib/{state}" in unit["ExecStart"]
        assert unit["Restart"] == "on-failure"
        for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                           "ProtectHome": "yes", "CapabilityBoundingSet": ""}.items():
            assert unit[key] == value, (state, key)
    users = open(os.path.join(SYSTEMD, "chronicle.sysusers")).read()
    assert re.search(r"^u chronicle ", users, re.M)


def test_pinned_recordings_are_left_out_of_the_lifecycle_rule(backend):
    lifecycle = backend.resource("aws_s3_bucket_lifecycle_configuration.recordings")
    expire = lifecycle["dynamic"]["rule"][0]["content"][0]
    assert expire["id"] == "expire-recordings"
    # Only objects still tagged "expire" (every upload is; pinning retags "keep") expire.
    assert expire["filter"][0]["and"][0]["tags"] == {"chronicle-retention": "expire"}
    s3 = source("src/blob/s3/s3_object_store.cpp") + source("src/blob/s3/s3_object_store.hpp")
    assert 'kExpireTag = "chronicle-retention=expire"' in s3 and s3.count('{"x-amz-tagging", kExpireTag}') == 2
    # The retention settings reach every chronicle process on AWS.
    env = backend.locals["backend_env"]
    assert env["CHRONICLE_RETENTION_DAYS"] == "${tostring(var.recording_retention_days)}"
    assert env["CHRONICLE_STORAGE_BUDGET"] == "${tostring(var.storage_budget_bytes)}"


def test_the_cookies_key_reaches_every_process_that_opens_cookies_and_no_other(backend):
    key = backend.resource("random_id.cookies_key")
    assert key["byte_length"] == 32, "64 hex digits, as CHRONICLE_COOKIES_KEY takes"
    parameter = backend.resource("aws_ssm_parameter.cookies_key")
    assert parameter["type"] == "SecureString" and parameter["value"] == "${random_id.cookies_key.hex}"
    # The functions (API: upload and list; dispatcher: probes) in their environment ...
    assert re.search(r"CHRONICLE_COOKIES_KEY\s*=\s*random_id\.cookies_key\.hex", backend.locals["lambda_env"])
    # ... the recorder as an ECS secret, never in the task definition's plain environment ...
    recorder = backend.resource("aws_ecs_task_definition.recorder")["container_definitions"]
    assert re.search(r'name\s*=\s*"CHRONICLE_COOKIES_KEY",\s*valueFrom\s*=\s*aws_ssm_parameter\.cookies_key\.arn',
                     recorder)
    assert "CHRONICLE_COOKIES_KEY" not in json.dumps(backend.locals["backend_env"])
    # ... which ECS reads with the execution role, for that parameter only; the seeder never gets it.
    statements = backend.data["data.aws_iam_policy_document.task_execution_secrets"]["statement"]
    assert [(s["actions"], s["resources"]) for s in statements] == [
        (["ssm:GetParameters"], ["${aws_ssm_parameter.cookies_key.arn}"])]
    assert "cookies_key" not in backend.resource("aws_ecs_task_definition.seeder")["container_definitions"]
    # The code refuses to store cookies unsealed on AWS.
    assert "/*key_required=*/true" in source("src/backend/backend.cpp")
