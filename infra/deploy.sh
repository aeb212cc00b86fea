#!/usr/bin/env bash
# Create (or update) the Azure side of Air Paradis Sentiment and let GitHub Actions deploy to it
# without any stored password (OIDC federated credential). Idempotent: run it again to update.
#
#   infra/deploy.sh -g <resource-group> -r <github-owner>/<repo> -e <alert-mail> -p <alert-phone> \
#                   [-l <region>] [-i <image>] [-n <web-app-name>] [-c <country-code>] [-s]
#
#   -g  resource group (created if missing)        -r  GitHub repository allowed to deploy
#   -e  mail notified by the misprediction alert     -p  mobile number (national format) for the SMS
#   -l  region (default westeurope)                  -c  country calling code of -p (default 33)
#   -i  image (default ghcr.io/<owner>/<repo>/air-paradis-sentiment:latest, lower case)
#   -n  Web App name (default: air-paradis-api-<unique suffix of the resource group>)
#   -s  also store the settings in the GitHub repository with `gh` (secrets + variable)
#
# The API key: $AIRPARADIS_API_KEY when set (keep it to keep the key), else a new one, printed once;
# the Web App gets its sha256 hash only (AIRPARADIS_API_KEYS), CD and the front-end the key itself.
#
# Needs: az (logged in: `az login`, with the rights to create an app registration and a role
# assignment on the resource group), and gh for -s. Prints the GitHub settings to make at the end.
set -euo pipefail

LOCATION=westeurope COUNTRY=33 IMAGE="" NAME="" SET_GITHUB=0 RG="" REPO="" EMAIL="" PHONE=""
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while getopts "g:r:e:p:l:i:n:c:sh" opt; do
  case "$opt" in
    g) RG=$OPTARG ;; r) REPO=$OPTARG ;; e) EMAIL=$OPTARG ;; p) PHONE=$OPTARG ;;
    l) LOCATION=$OPTARG ;; i) IMAGE=$OPTARG ;; n) NAME=$OPTARG ;; c) COUNTRY=$OPTARG ;;
    s) SET_GITHUB=1 ;; h) usage 0 ;; *) usage ;;
  esac
done
[[ -n $RG && -n $REPO && -n $EMAIL && -n $PHONE ]] || { echo "error: -g, -r, -e and -p are required" >&2; usage; }
[[ $REPO == */* ]] || { echo "error: -r must be <owner>/<repo>, got '$REPO'" >&2; exit 2; }
command -v az >/dev/null || { echo "error: the Azure CLI (az) is not installed" >&2; exit 2; }
IMAGE=${IMAGE:-ghcr.io/${REPO,,}/air-paradis-sentiment:latest}
HERE=$(cd "$(dirname "$0")" && pwd)
ENVIRONMENT=production  # the GitHub environment of the CD job (.github/workflows/cd.yml)
SP_NAME="air-paradis-github-${REPO//\//-}"

echo "==> resource group $RG in $LOCATION"
az group create --name "$RG" --location "$LOCATION" --output none

# --- the API key (README, "API keys and per-client limits") ---
API_KEY=${AIRPARADIS_API_KEY:-} NEW_KEY=0
if [[ -z $API_KEY ]]; then
  API_KEY=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n') NEW_KEY=1
fi
if command -v sha256sum >/dev/null; then sha256() { sha256sum; }; else sha256() { shasum -a 256; }; fi
API_KEY_HASH="sha256:$(printf '%s' "$API_KEY" | sha256 | cut -c1-64)"
# --- end of the API key ---

echo "==> infrastructure (infra/main.bicep: F1 plan, Web App, Application Insights, alert)"
params=(containerImage="$IMAGE" alertEmail="$EMAIL" alertPhone="$PHONE" alertPhoneCountryCode="$COUNTRY"
        apiKeys="$API_KEY_HASH")
[[ -n $NAME ]] && params+=(webAppName="$NAME")
outputs=$(az deployment group create --resource-group "$RG" --name air-paradis \
  --template-file "$HERE/main.bicep" --parameters "${params[@]}" \
  --query "[properties.outputs.webAppName.value, properties.outputs.webAppUrl.value]" --output tsv)
WEBAPP=$(sed -n 1p <<<"$outputs") WEBAPP_URL=$(sed -n 2p <<<"$outputs")
echo "    Web App $WEBAPP at $WEBAPP_URL"

echo "==> identity for GitHub Actions: $SP_NAME"
APP_ID=$(az ad app list --display-name "$SP_NAME" --query "[0].appId" --output tsv)
if [[ -z $APP_ID ]]; then
  APP_ID=$(az ad app create --display-name "$SP_NAME" --query appId --output tsv)
fi
SP_ID=$(az ad sp show --id "$APP_ID" --query id --output tsv 2>/dev/null || true)
[[ -n $SP_ID ]] || SP_ID=$(az ad sp create --id "$APP_ID" --query id --output tsv)

SUBJECT="repo:${REPO}:environment:${ENVIRONMENT}"
if [[ -z $(az ad app federated-credential list --id "$APP_ID" --query "[?subject=='$SUBJECT'].name" --output tsv) ]]; then
  echo "==> federated credential for $SUBJECT"
  az ad app federated-credential create --id "$APP_ID" --parameters "{
    \"name\": \"github-${ENVIRONMENT}\",
    \"issuer\": \"https://token.actions.githubusercontent.com\",
    \"subject\": \"${SUBJECT}\",
    \"description\": \"GitHub Actions CD of ${REPO}\",
    \"audiences\": [\"api://AzureADTokenExchange\"]
  }" --output none
fi

echo "==> role: Website Contributor on the resource group (deploy images to the Web App, nothing else)"
RG_ID=$(az group show --name "$RG" --query id --output tsv)
az role assignment create --assignee-object-id "$SP_ID" --assignee-principal-type ServicePrincipal \
  --role "Website Contributor" --scope "$RG_ID" --output none

TENANT_ID=$(az account show --query tenantId --output tsv)
SUBSCRIPTION_ID=$(az account show --query id --output tsv)
if [[ $SET_GITHUB == 1 ]]; then
  echo "==> GitHub settings of $REPO (gh)"
  gh api --method PUT "repos/$REPO/environments/$ENVIRONMENT" --silent
  gh secret set AZURE_CLIENT_ID --repo "$REPO" --body "$APP_ID"
  gh secret set AZURE_TENANT_ID --repo "$REPO" --body "$TENANT_ID"
  gh secret set AZURE_SUBSCRIPTION_ID --repo "$REPO" --body "$SUBSCRIPTION_ID"
  gh variable set AZURE_WEBAPP_NAME --repo "$REPO" --body "$WEBAPP"
  printf '%s' "$API_KEY" | gh secret set AIRPARADIS_API_KEY --repo "$REPO"  # from stdin: not in the process list
fi
if [[ $NEW_KEY == 1 ]]; then
  KEY_LINE="$API_KEY   (new: shown once; keep it, and set it as the front-end's AIRPARADIS_API_KEY)"
else
  KEY_LINE="(the key in \$AIRPARADIS_API_KEY)"
fi

cat <<EOF

Done. GitHub settings for .github/workflows/cd.yml (Settings > Secrets and variables > Actions):
  secret   AZURE_CLIENT_ID        $APP_ID
  secret   AZURE_TENANT_ID        $TENANT_ID
  secret   AZURE_SUBSCRIPTION_ID  $SUBSCRIPTION_ID
  secret   MLFLOW_TRACKING_URI    <your tracking server>
  secret   AIRPARADIS_API_KEY     $KEY_LINE
  variable AZURE_WEBAPP_NAME      $WEBAPP
  environment                     $ENVIRONMENT
The API will answer on $WEBAPP_URL once CD has pushed the image $IMAGE.
EOF
