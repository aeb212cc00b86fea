// Air Paradis Sentiment on the free Azure tier: the prediction API (the hardened MLflow scoring
// server image built by CD) on a Linux App Service plan F1, with a workspace-based Application
// Insights (and its Log Analytics workspace) for the misprediction reports, and the alert module.
//
// Deploy with infra/deploy.sh (README, "Deploy to Azure"), or:
//   az deployment group create -g <rg> --template-file infra/main.bicep \
//     --parameters containerImage=ghcr.io/<owner>/<repo>/air-paradis-sentiment:latest \
//                  alertEmail=<mail> alertPhone=<phone> apiKeys=sha256:<hash of the API key>
//
// F1 limits that shape this file: 1 GB memory, 60 CPU-minutes a day, no Always On (the app
// sleeps after 20 idle minutes and cold-starts on the next request), one instance, no slots.

@description('Region of every resource (default: the resource group\'s).')
param location string = resourceGroup().location

@description('Prefix of the resource names.')
param namePrefix string = 'air-paradis'

@description('Name of the Web App: <name>.azurewebsites.net, unique in Azure.')
param webAppName string = '${namePrefix}-api-${uniqueString(resourceGroup().id)}'

@description('Serving image, e.g. ghcr.io/<owner>/<repo>/air-paradis-sentiment:latest (CD replaces the tag on each deployment).')
param containerImage string

@description('Registry of the image.')
param registryUrl string = 'https://ghcr.io'

@description('Registry user; empty for a public image.')
param registryUsername string = ''

@description('Registry password or token (read:packages); empty for a public image.')
@secure()
param registryPassword string = ''

@description('Keys of the prediction API (AIRPARADIS_API_KEYS, pyfunc/access.py): comma-separated keys or their sha256:<hex>; infra/deploy.sh passes the hash of AIRPARADIS_API_KEY, so the Web App never holds the key itself.')
@secure()
param apiKeys string

@description('Mail address notified by the misprediction alert.')
param alertEmail string

@description('Mobile number (national format) notified by SMS by the misprediction alert.')
param alertPhone string

@description('Country calling code of alertPhone.')
param alertPhoneCountryCode string = '33'

@description('Daily ingestion cap of the Log Analytics workspace in GB (the free allowance is 5 GB a month).')
param dailyQuotaGb string = '0.15'

var registrySettings = empty(registryUsername) ? [] : [
  {
    name: 'DOCKER_REGISTRY_SERVER_USERNAME'
    value: registryUsername
  }
  {
    name: 'DOCKER_REGISTRY_SERVER_PASSWORD'
    value: registryPassword
  }
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    workspaceCapping: {
      dailyQuotaGb: json(dailyQuotaGb)
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    RetentionInDays: 30
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${namePrefix}-plan'
  location: location
  kind: 'linux'
  sku: {
    name: 'F1'
    tier: 'Free'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: webAppName
  location: location
  kind: 'app,linux,container'
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerImage}'
      alwaysOn: false // not available on F1
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: concat([
        {
          name: 'WEBSITES_PORT' // the image's API listens on 8080
          value: '8080'
        }
        {
          name: 'WEBSITES_CONTAINER_START_TIME_LIMIT' // a cold start pulls and loads the model
          value: '600'
        }
        {
          name: 'WEBSITES_ENABLE_APP_SERVICE_STORAGE'
          value: 'false'
        }
        {
          name: 'WEB_CONCURRENCY' // one uvicorn worker: 1 GB of memory
          value: '1'
        }
        {
          name: 'DOCKER_REGISTRY_SERVER_URL'
          value: registryUrl
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'AIRPARADIS_API_KEYS' // every request but /ping, /health, /version needs one; limits per client
          value: apiKeys
        }
        {
          name: 'AIRPARADIS_CLIENT_IP_HEADER' // App Service's front end appends the client's address to it
          value: 'X-Forwarded-For'
        }
      ], registrySettings)
    }
  }
}

module alerts 'alerts.bicep' = {
  name: 'alerts'
  params: {
    appInsightsId: appInsights.id
    alertEmail: alertEmail
    alertPhone: alertPhone
    alertPhoneCountryCode: alertPhoneCountryCode
    location: location
    namePrefix: namePrefix
  }
}

output webAppName string = site.name
output webAppId string = site.id
output webAppUrl string = 'https://${site.properties.defaultHostName}'
output appInsightsName string = appInsights.name
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output logAnalyticsWorkspaceId string = workspace.id
output alertRuleId string = alerts.outputs.alertRuleId
