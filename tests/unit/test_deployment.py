"""template.yaml against the code it deploys.

Each check reads the template and the code as they are: the app's routes (``build_app``), the
environment names ``Settings`` reads, the catalog's key attributes, the Dockerfile's handlers,
the sam configuration and the deployment guide's commands. Each check is a function returning
what is wrong, so the tests can also show that a broken template is caught.
"""

from __future__ import annotations

import copy
import itertools
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from chromalake.config import Settings
from chromalake.engine.catalog import dynamodb
from chromalake.engine.factory import build_engine
from chromalake.server import build_app

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
DOCKERFILE = ROOT / "functions" / "api" / "Dockerfile"
SAMCONFIG = ROOT / "infrastructure" / "samconfig.toml"
GUIDE = ROOT / "infrastructure" / "README.md"

# Routes open without an API key, as Chroma's server leaves them open (health and docs).
PUBLIC_ROUTES = {
    ("GET", "/api/v2"),
    ("GET", "/api/v2/heartbeat"),
    ("GET", "/api/v2/version"),
    ("GET", "/api/v2/healthcheck"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
}
# Environment names that are not Settings fields: Powertools' own.
POWERTOOLS_ENV = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref x becomes {"Ref": x}, !Sub s {"Sub": s})."""


_Loader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: {
        suffix: loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
        if isinstance(node, yaml.MappingNode)
        else loader.construct_scalar(node)
    },
)


def load(text: str | None = None) -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text() if text is None else text, Loader=_Loader)  # type: ignore[no-any-return]


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(template, "AWS::Serverless::Function")


# -- routes ------------------------------------------------------------------------------------


def shape(path: str) -> str:
    """A path with its parameters unnamed: API Gateway's {x} and powertools' <x> alike."""
    return re.sub(r"\{[^}/]+\}|<[^>/]+>", "{}", path)


def app_routes() -> set[tuple[str, str]]:
    app = build_app(build_engine(Settings()), Settings())
    return {(r.method, shape(r.path)) for r in app._static_routes + app._dynamic_routes}


def template_routes(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path shape) -> the HttpApi event's properties, over every function."""
    found = {}
    for function in functions(template).values():
        for event in function["Properties"].get("Events", {}).values():
            props = event["Properties"]
            if event["Type"] == "HttpApi" and "Path" in props:
                found[(props["Method"].upper(), shape(props["Path"]))] = props
    return found


def route_problems(template: dict[str, Any]) -> list[str]:
    ours, theirs = set(template_routes(template)), app_routes()
    return [f"app route without an API route: {m} {p}" for m, p in sorted(theirs - ours)] + [
        f"API route the app does not serve: {m} {p}" for m, p in sorted(ours - theirs)
    ]


def test_every_app_route_has_an_api_route_and_back() -> None:
    assert route_problems(load()) == []


def test_a_missing_or_extra_route_is_caught() -> None:
    template = load()
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    del events["PostQuery"]
    events["Bogus"] = {
        "Type": "HttpApi",
        "Properties": {"ApiId": {"Ref": "HttpApi"}, "Method": "GET", "Path": "/api/v2/bogus"},
    }
    assert route_problems(template) == [
        "app route without an API route: POST /api/v2/tenants/{}/databases/{}/collections/{}/query",
        "API route the app does not serve: GET /api/v2/bogus",
    ]


def test_path_parameters_have_one_name_per_position() -> None:
    # API Gateway rejects sibling path variables with different names.
    names: dict[tuple[str, int], set[str]] = {}
    for _, path in [(m, p["Path"]) for (m, _), p in template_routes(load()).items()]:
        parts = path.strip("/").split("/")
        for i, part in enumerate(parts):
            if part.startswith("{"):
                names.setdefault(("/".join(parts[:i]), i), set()).add(part)
    assert {k: v for k, v in names.items() if len(v) > 1} == {}


def test_only_health_and_docs_routes_are_public() -> None:
    template = load()
    auth = template["Resources"]["HttpApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "ApiKeyAuthorizer"
    public = {
        route
        for route, props in template_routes(template).items()
        if props.get("Auth", {}).get("Authorizer") == "NONE"
    }
    assert public == {(m, shape(p)) for m, p in PUBLIC_ROUTES}


def test_the_default_route_reaches_the_app_behind_the_authorizer() -> None:
    # $default (an HttpApi event without a path) carries Chroma's 404/405 and v1's 410.
    events = load()["Resources"]["ApiFunction"]["Properties"]["Events"]
    defaults = [
        e for e in events.values() if e["Type"] == "HttpApi" and "Path" not in e["Properties"]
    ]
    assert len(defaults) == 1
    assert "Auth" not in defaults[0]["Properties"]


def test_the_authorizer_reads_either_header_uncached() -> None:
    authorizer = load()["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"][
        "ApiKeyAuthorizer"
    ]
    assert authorizer["FunctionArn"] == {"GetAtt": "AuthorizerFunction.Arn"}
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["EnableSimpleResponses"] is True
    # No identity source (the key may be in x-chroma-token or Authorization), so no cache.
    assert authorizer["Identity"] == {"ReauthorizeEvery": 0}


# -- environment -------------------------------------------------------------------------------


def environment_problems(template: dict[str, Any]) -> list[str]:
    fields = set(Settings.model_fields)
    problems = []
    for name, function in sorted(functions(template).items()):
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        for variable in sorted(variables):
            if variable.lower() not in fields and variable not in POWERTOOLS_ENV:
                problems.append(f"{name}: {variable} is no Settings field")
    return problems


def test_environment_names_are_settings_fields() -> None:
    assert environment_problems(load()) == []


def test_a_misspelt_environment_name_is_caught() -> None:
    template = load()
    variables = template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    variables["CHROMALAKE_BUKET"] = variables.pop("CHROMALAKE_BUCKET")
    assert environment_problems(template) == ["ApiFunction: CHROMALAKE_BUKET is no Settings field"]


def test_the_api_is_pointed_at_the_stacks_storage_and_queue() -> None:
    variables = load()["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["CHROMALAKE_BUCKET"] == {"Ref": "DataBucket"}
    assert variables["CHROMALAKE_TABLE"] == {"Ref": "CatalogTable"}
    assert variables["CHROMALAKE_REGION"] == {"Ref": "AWS::Region"}
    assert variables["CHROMALAKE_MAINTENANCE_QUEUE_URL"] == {"Ref": "MaintenanceQueue"}
    assert variables["CHROMALAKE_MAX_BATCH_SIZE"] == {"Ref": "MaxBatchSize"}
    assert "ALLOW_RESET" not in variables  # reset wipes every tenant: never on a deployment


# -- the catalog table -------------------------------------------------------------------------


def key_problems(template: dict[str, Any]) -> list[str]:
    table = template["Resources"]["CatalogTable"]["Properties"]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    declared = {
        k["AttributeName"]: (k["KeyType"], types[k["AttributeName"]]) for k in table["KeySchema"]
    }
    key = dynamodb._key("TENANT#t", "TENANT")  # the key of every item the catalog reads or writes
    used = {name: next(iter(value)) for name, value in key.items()}
    problems = []
    if list(key) != [k["AttributeName"] for k in table["KeySchema"]]:
        problems.append(f"code keys {list(key)} != template KeySchema {list(declared)}")
    problems += [
        f"{name}: code writes {kind}, template declares {declared[name][1]}"
        for name, kind in used.items()
        if name in declared and declared[name][1] != kind
    ]
    uses_index = "IndexName" in Path(dynamodb.__file__).read_text()
    if uses_index != bool(table.get("GlobalSecondaryIndexes")):
        problems.append("secondary indexes of the template and the code's IndexName disagree")
    return problems


def test_catalog_key_schema_is_the_codes() -> None:
    assert key_problems(load()) == []


def test_a_wrong_key_schema_is_caught() -> None:
    template = load()
    props = template["Resources"]["CatalogTable"]["Properties"]
    props["KeySchema"][1]["AttributeName"] = "sort"
    props["AttributeDefinitions"][1]["AttributeName"] = "sort"
    assert key_problems(template) == ["code keys ['pk', 'sk'] != template KeySchema ['pk', 'sort']"]


def test_data_is_protected() -> None:
    res = load()["Resources"]
    table = res["CatalogTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
    bucket = res["DataBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    deny = res["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert (deny["Effect"], deny["Condition"]) == (
        "Deny",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    # Lifecycle expires only what Lance's cleanup removed (noncurrent versions): a current data
    # file of the latest Lance version may be of any age.
    rules = props["LifecycleConfiguration"]["Rules"]
    assert not [r for r in rules if "ExpirationInDays" in r or "ExpirationDate" in r]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert any("NoncurrentVersionExpiration" in r for r in rules)


# -- functions, IAM, logs, alarms --------------------------------------------------------------


def iam_problems(template: dict[str, Any]) -> list[str]:
    problems = []
    for name, function in functions(template).items():
        props = function["Properties"]
        if "Role" not in props or "Policies" in props:
            problems.append(f"{name}: needs its own Role (SAM's generated roles are broader)")
    for name, role in resources(template, "AWS::IAM::Role").items():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"]
                actions = [actions] if isinstance(actions, str) else actions
                if statement["Effect"] != "Allow":
                    continue
                wild = [a for a in actions if a == "*" or a.endswith(":*")]
                if wild:
                    problems.append(f"{name}: wildcard actions {wild}")
                if statement["Resource"] == "*" and any(not a.startswith("xray:") for a in actions):
                    problems.append(f"{name}: {actions} on every resource")
    return problems


def test_iam_is_least_privilege() -> None:
    assert iam_problems(load()) == []


def test_a_broad_policy_is_caught() -> None:
    template = load()
    statements = template["Resources"]["ApiRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    statements["Statement"].append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert iam_problems(template) == [
        "ApiRole: wildcard actions ['s3:*']",
        "ApiRole: ['s3:*'] on every resource",
    ]


def test_only_the_api_may_send_maintenance_requests() -> None:
    res = load()["Resources"]
    senders = {
        role
        for role, body in resources(load(), "AWS::IAM::Role").items()
        for statement in body["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        if "sqs:SendMessage" in statement["Action"]
    }
    assert senders == {"ApiRole"}
    assert res["ApiFunction"]["Properties"]["Role"] == {"GetAtt": "ApiRole.Arn"}


def test_every_function_is_arm64_traced_logged_and_alarmed() -> None:
    template = load()
    assert template["Globals"]["Function"]["Architectures"] == ["arm64"]
    # Tracing is the deployment's choice (X-Ray is up to $5 per million requests at low
    # traffic: infrastructure/README.md), every function following it.
    assert template["Globals"]["Function"]["Tracing"] == {"Ref": "Tracing"}
    assert set(template["Parameters"]["Tracing"]["AllowedValues"]) == {"Active", "PassThrough"}
    log_groups = resources(template, "AWS::Logs::LogGroup")
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    for name, function in functions(template).items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        watched = {
            a["Properties"]["MetricName"]
            for a in alarms
            if {"Name": "FunctionName", "Value": {"Ref": name}} in a["Properties"]["Dimensions"]
        }
        assert {"Errors", "Throttles"} <= watched, name
    metrics = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    assert {("AWS/ApiGateway", "5xx"), ("AWS/ApiGateway", "Latency")} <= metrics
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)


def test_api_and_maintenance_run_one_image() -> None:
    res = load()["Resources"]
    api, maintenance = res["ApiFunction"], res["MaintenanceFunction"]
    assert api["Metadata"] == maintenance["Metadata"]
    assert api["Metadata"]["Dockerfile"] == "functions/api/Dockerfile"
    assert api["Properties"]["ImageConfig"]["Command"] == ["app.handler"]
    assert maintenance["Properties"]["ImageConfig"]["Command"] == ["maintenance.handler"]
    events = {e["Type"] for e in maintenance["Properties"]["Events"].values()}
    assert events == {"SQS", "Schedule"}


def dockerfile_handlers() -> dict[str, str]:
    """Module name in the image -> the repository file the Dockerfile copies there."""
    copies = re.findall(
        r"^COPY (\S+\.py) \$\{LAMBDA_TASK_ROOT\}/(\w+)\.py$", DOCKERFILE.read_text(), re.M
    )
    return {module: source for source, module in copies}


def handler_sources(template: dict[str, Any]) -> dict[str, str]:
    """Function -> the repository file its handler lives in."""
    found = {}
    for name, function in functions(template).items():
        props = function["Properties"]
        if props.get("PackageType") == "Image":
            module = props["ImageConfig"]["Command"][0].rsplit(".", 1)[0]
            found[name] = dockerfile_handlers()[module]
        else:
            module = props["Handler"].rsplit(".", 1)[0]
            found[name] = props["CodeUri"].rstrip("/") + f"/{module}.py"
    return found


def test_every_handler_is_in_the_image_or_zip() -> None:
    assert handler_sources(load()) == {
        "AdminFunction": "functions/admin/app.py",
        "ApiFunction": "functions/api/app.py",
        "AuthorizerFunction": "functions/authorizer/app.py",
        "MaintenanceFunction": "functions/maintenance/app.py",
    }
    assert re.search(r'^CMD \["app\.handler"\]$', DOCKERFILE.read_text(), re.M)


def test_the_sdk_layer_carries_the_slim_dependencies() -> None:
    layer = load()["Resources"]["SdkLayer"]
    assert layer["Properties"]["ContentUri"] == "sdk/"
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    authorizer = load()["Resources"]["AuthorizerFunction"]["Properties"]
    assert authorizer["Layers"] == [{"Ref": "SdkLayer"}]
    assert layer["Metadata"]["BuildMethod"] == authorizer["Runtime"]
    pinned = [
        line.strip()
        for line in (ROOT / "sdk" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pinned == pyproject["project"]["dependencies"]


# -- samconfig and the deployment guide --------------------------------------------------------


def samconfig() -> dict[str, Any]:
    return tomllib.loads(SAMCONFIG.read_text())


def overrides(text: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in shlex.split(text))


def test_samconfig_overrides_are_template_parameters() -> None:
    parameters = load()["Parameters"]
    config = samconfig()
    envs = [k for k in config if k != "version"]
    assert {"default", "prod"} <= set(envs)
    for env in envs:
        deploy = config[env]["deploy"]["parameters"]
        assert set(overrides(deploy["parameter_overrides"])) <= set(parameters), env
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_image_repos"] is True  # the api image needs an ECR repository
        assert config[env]["validate"]["parameters"]["lint"] is True


def guide_commands() -> list[list[str]]:
    """Every `sam ...` command in the guide's shell blocks, as words (continuations joined)."""
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.S)
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    return [shlex.split(line, comments=True) for line in lines if line.strip().startswith("sam ")]


def command_problems(commands: list[list[str]], template: dict[str, Any]) -> list[str]:
    """What in the guide's sam commands names nothing: functions, events, configs, parameters."""
    config, problems = samconfig(), []
    for words in commands:
        text = " ".join(words)
        if words[1] in ("local", "remote") and words[2] == "invoke":
            function = next(w for w in words[3:] if not w.startswith("-"))
            if function not in functions(template):
                problems.append(f"{text}: no function {function}")
        for flag, value in itertools.pairwise(words):
            if flag in ("-e", "--event") and not (ROOT / value).is_file():
                problems.append(f"{text}: no event file {value}")
            if flag == "--config-env" and value not in config:
                problems.append(f"{text}: no config env {value}")
            if flag == "--config-file" and not (ROOT / value).is_file():
                problems.append(f"{text}: no config file {value}")
            if flag == "--parameter-overrides":
                unknown = set(overrides(value)) - set(template["Parameters"])
                problems += [f"{text}: no parameter {p}" for p in sorted(unknown)]
    return problems


def test_the_guides_sam_commands_name_what_exists() -> None:
    commands = guide_commands()
    verbs = {words[1] for words in commands}
    assert {"validate", "build", "deploy", "local", "delete"} <= verbs
    assert command_problems(commands, load()) == []


def test_a_guide_command_naming_nothing_is_caught() -> None:
    bad = shlex.split("sam local invoke Nope -e infrastructure/events/none.json --config-env qa")
    assert command_problems([bad], load()) == [
        f"{' '.join(bad)}: no function Nope",
        f"{' '.join(bad)}: no event file infrastructure/events/none.json",
        f"{' '.join(bad)}: no config env qa",
    ]


def test_every_function_has_sample_events() -> None:
    template = load()
    invoked = {
        (words[3], words[words.index("-e") + 1])
        for words in guide_commands()
        if words[1:3] == ["local", "invoke"] and "-e" in words
    }
    assert {function for function, _ in invoked} == set(functions(template))
    samples = {
        "ApiFunction": sorted((ROOT / "functions" / "api" / "events").glob("*.json")),
        "AuthorizerFunction": sorted((ROOT / "functions" / "authorizer" / "events").glob("*.json")),
        "MaintenanceFunction": sorted(
            (ROOT / "functions" / "maintenance" / "events").glob("*.json")
        ),
    }
    for function, files in samples.items():
        assert files, function
        documented = {event for f, event in invoked if f == function}
        assert documented <= {str(p.relative_to(ROOT)) for p in files}


@pytest.mark.parametrize("cut", ["Dashboard", "AlarmTopic", "MaintenanceQueue"])
def test_outputs_and_references_resolve(cut: str) -> None:
    # Every !Ref / !GetAtt names a resource or parameter; cutting one is caught.
    template = load()
    assert dangling(template) == set()
    broken = copy.deepcopy(template)
    del broken["Resources"][cut]
    assert cut in dangling(broken)


def dangling(template: dict[str, Any]) -> set[str]:
    known = set(template["Resources"]) | set(template["Parameters"])
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str) and not value.startswith("AWS::"):
                    found.add(value)
                elif key == "GetAtt" and isinstance(value, str):
                    found.add(value.split(".")[0])
                elif key == "Sub" and isinstance(value, str):
                    found.update(
                        n.split(".")[0]
                        for n in re.findall(r"\$\{([^}!]+)\}", value)
                        if not n.startswith("AWS::")
                    )
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(template["Resources"])
    walk(template["Outputs"])
    return found - known


def test_the_functions_on_every_request_log_no_platform_lines() -> None:
    """The api and the authorizer run on every request: Lambda's START/END/REPORT lines
    (~0.4 KB each) would be a third of a warm query's log cost."""
    for name in ("ApiFunction", "AuthorizerFunction"):
        config = functions(load())[name]["Properties"]["LoggingConfig"]
        assert config["LogFormat"] == "JSON" and config["SystemLogLevel"] == "WARN", name
