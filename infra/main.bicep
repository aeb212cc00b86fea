// Air Paradis Sentiment on the free Azure tier: the prediction API (the hardened MLflow scoring
// server image built by CD) on a Linux App Service plan F1, with a workspace-based Application
// Insights (and its Log Analytics workspace) for the misprediction reports, and the alert module.
//
// Deploy with infra/deploy.sh (docs/deploy.md), or:
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

@description('The Web App exists already (infra/deploy.sh sets it): its current app settings are kept and ours merged over them, so a second run does not delete the registry credentials or settings added by hand.')
param appExists bool = false

@description('uvicorn workers of the API, each holding the model (WEB_CONCURRENCY): 1 on F1 (1 GB, shared cores), more on a plan with cores and memory to spare.')
@minValue(1)
param serverWorkers int = 1

@description('Daily ingestion cap of the Log Analytics workspace in GB (the free allowance is 5 GB a month).')
param dailyQuotaGb string = '0.15'

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
    }
  }
}

// The app settings as one object merged over the current ones: Azure replaces a site's whole list
// of settings on each deployment, so listing ours alone (as siteConfig.appSettings did) deleted the
// DOCKER_REGISTRY_SERVER_* credentials of a private image on the second run.
resource appSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appExists ? list(resourceId('Microsoft.Web/sites/config', webAppName, 'appsettings'), '2023-12-01').properties : {}, {
    WEBSITES_PORT: '8080' // the image's API listens on 8080
    WEBSITES_CONTAINER_START_TIME_LIMIT: '600' // a cold start pulls and loads the model
    WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'false'
    WEB_CONCURRENCY: string(serverWorkers) // uvicorn's own variable; 1 on F1: 1 GB of memory
    DOCKER_REGISTRY_SERVER_URL: registryUrl
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    AIRPARADIS_API_KEYS: apiKeys // every request but /ping, /health, /version needs one; limits per client
    AIRPARADIS_CLIENT_IP_HEADER: 'X-Forwarded-For' // App Service's front end appends the client's address to it
  }, empty(registryUsername) ? {} : {
    DOCKER_REGISTRY_SERVER_USERNAME: registryUsername
    DOCKER_REGISTRY_SERVER_PASSWORD: registryPassword
  })
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
