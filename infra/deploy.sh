#!/usr/bin/env bash
# Create (or update) the Azure side of Air Paradis Sentiment and let GitHub Actions deploy to it
# without any stored password (OIDC federated credential). Idempotent: run it again to update.
#
#   infra/deploy.sh -g <resource-group> -r <github-owner>/<repo> -e <alert-mail> -p <alert-phone> \
#                   [-l <region>] [-i <image>] [-n <web-app-name>] [-c <country-code>] [-u <registry-user>] [-s] [-k]
#
#   -g  resource group (created if missing)        -r  GitHub repository allowed to deploy
#   -e  mail notified by the misprediction alert     -p  mobile number (national format) for the SMS
#   -l  region (default westeurope)                  -c  country calling code of -p (default 33)
#   -i  image (default ghcr.io/<owner>/<repo>/air-paradis-sentiment:latest, lower case)
#   -n  Web App name (default: the one of the previous run, else air-paradis-api-<unique suffix>)
#   -u  registry user for a private image; its token (read:packages) in $REGISTRY_PASSWORD
#   -s  also store the settings in the GitHub repository with `gh` (secrets, variables, environment)
#   -k  rotate the API key: a new one (or the one in $AIRPARADIS_API_KEY) replaces the current one
#
# The API key: a later run keeps the Web App's current AIRPARADIS_API_KEYS as it is. A new key is made
# (printed once) on the first deployment, or with -k; $AIRPARADIS_API_KEY, when set, is the key to use
# instead. The Web App gets its sha256 hash only, CD and the front-end the key itself.
#
# Needs: az (logged in: `az login`, with the rights to create an app registration and a role
# assignment on the resource group) and gh (logged in: `gh auth login`): the federated credential
# must name the repository exactly as GitHub does (case included) and, for repositories created or
# renamed since July 2026, with its immutable owner and repository ids, which only GitHub knows.
# Prints the GitHub settings to make, and how to point the front-end at the deployed API.
set -euo pipefail

LOCATION=westeurope COUNTRY=33 IMAGE="" NAME="" SET_GITHUB=0 ROTATE=0 RG="" REPO="" EMAIL="" PHONE="" REGISTRY_USER=""
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while getopts "g:r:e:p:l:i:n:c:u:skh" opt; do
  case "$opt" in
    g) RG=$OPTARG ;; r) REPO=$OPTARG ;; e) EMAIL=$OPTARG ;; p) PHONE=$OPTARG ;;
    l) LOCATION=$OPTARG ;; i) IMAGE=$OPTARG ;; n) NAME=$OPTARG ;; c) COUNTRY=$OPTARG ;;
    u) REGISTRY_USER=$OPTARG ;; s) SET_GITHUB=1 ;; k) ROTATE=1 ;; h) usage 0 ;; *) usage ;;
  esac
done
[[ -n $RG && -n $REPO && -n $EMAIL && -n $PHONE ]] || { echo "error: -g, -r, -e and -p are required" >&2; usage; }
[[ $REPO == */* ]] || { echo "error: -r must be <owner>/<repo>, got '$REPO'" >&2; exit 2; }
[[ -z $REGISTRY_USER || -n ${REGISTRY_PASSWORD:-} ]] || { echo "error: -u needs the token in \$REGISTRY_PASSWORD" >&2; exit 2; }
command -v az >/dev/null || { echo "error: the Azure CLI (az) is not installed" >&2; exit 2; }
command -v gh >/dev/null || { echo "error: the GitHub CLI (gh) is not installed: it reads the repository's exact name and ids" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ENVIRONMENT=production  # the GitHub environment of the CD job (.github/workflows/cd.yml)

echo "==> GitHub repository $REPO"
ids=$(gh api "repos/$REPO" --jq '[.full_name, .owner.login, .owner.id, .name, .id] | @tsv') ||
  { echo "error: gh cannot read repos/$REPO (gh auth login? the right name?)" >&2; exit 2; }
IFS=$'\t' read -r REPO OWNER OWNER_ID REPO_NAME REPO_ID <<<"$ids"
echo "    canonical name $REPO (owner id $OWNER_ID, repository id $REPO_ID)"
IMAGE=${IMAGE:-ghcr.io/${REPO,,}/air-paradis-sentiment:latest}
SP_NAME="air-paradis-github-${REPO//\//-}"

echo "==> resource group $RG in $LOCATION"
az group create --name "$RG" --location "$LOCATION" --output none

# The same Web App on every run: the name given, else the one the previous run deployed
[[ -n $NAME ]] || NAME=$(az deployment group show --resource-group "$RG" --name air-paradis \
  --query properties.outputs.webAppName.value --output tsv 2>/dev/null || true)
APP_EXISTS=false
if [[ -n $NAME && -n $(az webapp show --resource-group "$RG" --name "$NAME" --query id --output tsv 2>/dev/null || true) ]]; then
  APP_EXISTS=true  # main.bicep keeps its current app settings (registry credentials among them)
fi

# --- the API key (docs/deploy.md, "The API key: create, rotate, share the front-end") ---
# KEY_MODE: kept (the Web App's current AIRPARADIS_API_KEYS, left as it is), given ($AIRPARADIS_API_KEY)
# or new (made here, printed once): on the first deployment, or with -k
API_KEY=${AIRPARADIS_API_KEY:-} API_KEY_HASH="" KEY_MODE=given
if [[ -z $API_KEY && $ROTATE == 0 && $APP_EXISTS == true ]]; then
  API_KEY_HASH=$(az webapp config appsettings list --resource-group "$RG" --name "$NAME" \
    --query "[?name=='AIRPARADIS_API_KEYS'].value | [0]" --output tsv) ||
    { echo "error: cannot read the app settings of $NAME to keep its API key (or rotate it: -k)" >&2; exit 1; }
  if [[ -n $API_KEY_HASH ]]; then KEY_MODE=kept; fi
fi
if [[ $KEY_MODE != kept ]]; then
  if [[ -z $API_KEY ]]; then
    API_KEY=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n') KEY_MODE=new
  fi
  if command -v sha256sum >/dev/null; then sha256() { sha256sum; }; else sha256() { shasum -a 256; }; fi
  API_KEY_HASH="sha256:$(printf '%s' "$API_KEY" | sha256 | cut -c1-64)"
fi
REPLACED=""
if [[ $APP_EXISTS == true ]]; then REPLACED=", which replaces the Web App's current key"; fi
case $KEY_MODE in
  kept)  echo "==> API key: kept (the Web App's current AIRPARADIS_API_KEYS, unchanged; -k rotates it)" ;;
  given) echo "==> API key: the one in \$AIRPARADIS_API_KEY$REPLACED" ;;
  new)   echo "==> API key: a new one$REPLACED, printed at the end (once)" ;;
esac
# --- end of the API key ---

echo "==> infrastructure (infra/main.bicep: F1 plan, Web App, Application Insights, alert)"
params=(containerImage="$IMAGE" alertEmail="$EMAIL" alertPhone="$PHONE" alertPhoneCountryCode="$COUNTRY"
        apiKeys="$API_KEY_HASH" appExists="$APP_EXISTS")
[[ -n $NAME ]] && params+=(webAppName="$NAME")
[[ -n $REGISTRY_USER ]] && params+=(registryUsername="$REGISTRY_USER" registryPassword="$REGISTRY_PASSWORD")
outputs=$(az deployment group create --resource-group "$RG" --name air-paradis \
  --template-file "$HERE/main.bicep" --parameters "${params[@]}" \
  --query "[properties.outputs.webAppName.value, properties.outputs.webAppUrl.value, properties.outputs.appInsightsConnectionString.value]" \
  --output tsv)
WEBAPP=$(sed -n 1p <<<"$outputs") WEBAPP_URL=$(sed -n 2p <<<"$outputs") CONNECTION_STRING=$(sed -n 3p <<<"$outputs")
echo "    Web App $WEBAPP at $WEBAPP_URL"

echo "==> identity for GitHub Actions: $SP_NAME"
APP_ID=$(az ad app list --display-name "$SP_NAME" --query "[0].appId" --output tsv)
if [[ -z $APP_ID ]]; then
  APP_ID=$(az ad app create --display-name "$SP_NAME" --query appId --output tsv)
fi
SP_ID=$(az ad sp show --id "$APP_ID" --query id --output tsv 2>/dev/null || true)
[[ -n $SP_ID ]] || SP_ID=$(az ad sp create --id "$APP_ID" --query id --output tsv)

# Entra compares subjects exactly (case included): one credential for GitHub's name-based subject,
# one for its immutable-id subject (repositories created or renamed since July 2026 present that one)
credential() {
  local name=$1 subject=$2
  if [[ -z $(az ad app federated-credential list --id "$APP_ID" --query "[?subject=='$subject'].name" --output tsv) ]]; then
    echo "==> federated credential $name for $subject"
    az ad app federated-credential create --id "$APP_ID" --parameters "{
      \"name\": \"$name\",
      \"issuer\": \"https://token.actions.githubusercontent.com\",
      \"subject\": \"$subject\",
      \"description\": \"GitHub Actions CD of ${REPO}\",
      \"audiences\": [\"api://AzureADTokenExchange\"]
    }" --output none
  fi
}
credential "github-${ENVIRONMENT}" "repo:${REPO}:environment:${ENVIRONMENT}"
credential "github-${ENVIRONMENT}-ids" "repo:${OWNER}@${OWNER_ID}/${REPO_NAME}@${REPO_ID}:environment:${ENVIRONMENT}"

echo "==> role: Website Contributor on the resource group (deploy images to the Web App, nothing else)"
RG_ID=$(az group show --name "$RG" --query id --output tsv)
az role assignment create --assignee-object-id "$SP_ID" --assignee-principal-type ServicePrincipal \
  --role "Website Contributor" --scope "$RG_ID" --output none

TENANT_ID=$(az account show --query tenantId --output tsv)
SUBSCRIPTION_ID=$(az account show --query id --output tsv)
if [[ $SET_GITHUB == 1 ]]; then
  echo "==> GitHub settings of $REPO (gh): environment $ENVIRONMENT, deployable from main only"
  gh api --method PUT "repos/$REPO/environments/$ENVIRONMENT" --silent \
    -F "deployment_branch_policy[protected_branches]=false" -F "deployment_branch_policy[custom_branch_policies]=true"
  gh api --method POST "repos/$REPO/environments/$ENVIRONMENT/deployment-branch-policies" --silent \
    -f name=main -f type=branch 2>/dev/null || true  # there already on a second run
  gh secret set AZURE_CLIENT_ID --repo "$REPO" --body "$APP_ID"
  gh secret set AZURE_TENANT_ID --repo "$REPO" --body "$TENANT_ID"
  gh secret set AZURE_SUBSCRIPTION_ID --repo "$REPO" --body "$SUBSCRIPTION_ID"
  gh variable set AZURE_WEBAPP_NAME --repo "$REPO" --body "$WEBAPP"
  gh variable set AZURE_RESOURCE_GROUP --repo "$REPO" --body "$RG"
  if [[ $KEY_MODE != kept ]]; then  # kept: the key is not known here, and the secret already holds it
    printf '%s' "$API_KEY" | gh secret set AIRPARADIS_API_KEY --repo "$REPO"  # from stdin: not in the process list
  fi
fi
case $KEY_MODE in
  new)   KEY_LINE="$API_KEY   (new: shown once; keep it, and set it as the front-end's AIRPARADIS_API_KEY)" ;;
  given) KEY_LINE="(the key in \$AIRPARADIS_API_KEY)" ;;
  kept)  KEY_LINE="(unchanged: the Web App kept its current key; run again with -k to rotate it)" ;;
esac

cat <<EOF

Done. GitHub settings for .github/workflows/cd.yml (Settings > Secrets and variables > Actions):
  secret   AZURE_CLIENT_ID        $APP_ID
  secret   AZURE_TENANT_ID        $TENANT_ID
  secret   AZURE_SUBSCRIPTION_ID  $SUBSCRIPTION_ID
  secret   MLFLOW_TRACKING_URI    your tracking server (path A); unset: CD trains on the bundled data (path B)
  secret   AIRPARADIS_API_KEY     $KEY_LINE
  variable AZURE_WEBAPP_NAME      $WEBAPP
  variable AZURE_RESOURCE_GROUP   $RG
  environment                     $ENVIRONMENT (Settings > Environments: deployment branches: main only)
The API will answer on $WEBAPP_URL once CD has pushed the image $IMAGE.

The front-end against the cloud API, its reports going to Application Insights (and the alert):
  AIRPARADIS_API_URL=$WEBAPP_URL AIRPARADIS_API_KEY=<the key> \\
  APPLICATIONINSIGHTS_CONNECTION_STRING='$CONNECTION_STRING' make ui-app

If CD's azure/login step fails with AADSTS700213 "No matching federated identity record found for
presented assertion subject '<subject>'", the message quotes the subject GitHub presented; add exactly
that one (same case) to the identity:
  az ad app federated-credential create --id $APP_ID --parameters '{"name": "github-subject", "issuer": "https://token.actions.githubusercontent.com", "subject": "<subject>", "audiences": ["api://AzureADTokenExchange"]}'
EOF
