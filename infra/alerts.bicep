// Air Paradis: the misprediction alert (Log Analytics scheduled-query rule) and the on-call
// action group (mail + SMS).
//
// Parameters
//   appInsightsId          string  (required) resource id of the Application Insights component the
//                                  reports go to; the rule's scope (its `customEvents` table).
//   alertEmail             string  (required) mail address of the on-call person.
//   alertPhone             string  (required) mobile number for the SMS, national format, no country code.
//   alertPhoneCountryCode  string  country calling code of alertPhone (default '33').
//   location               string  region of the rule (default: the resource group's).
//   namePrefix             string  prefix of the resource names (default 'air-paradis').
//   enabled                bool    create the rule enabled (default true).
// Outputs: actionGroupId, alertRuleId, query (the KQL), badBuzzRuleId.
//
// The rule itself (KQL, threshold 3, window PT5M, frequency, one notification per window) is NOT
// written here: it is loaded from alert-rule.json, which `python -m monitoring.mispredictions.rule --write`
// generates from monitoring/mispredictions/rule.py, the same data the embedded evaluator uses (a test fails when
// the two drift apart).
//
// Use from main.bicep:
//   module alerts 'alerts.bicep' = {
//     name: 'alerts'
//     params: { appInsightsId: appInsights.id, alertEmail: alertEmail, alertPhone: alertPhone }
//   }

@description('Resource id of the Application Insights component that receives the misprediction events.')
param appInsightsId string

@description('Mail address notified when the rule fires.')
param alertEmail string

@description('Mobile number (national format, without the country code) notified by SMS.')
param alertPhone string

@description('Country calling code of alertPhone.')
param alertPhoneCountryCode string = '33'

@description('Region of the scheduled-query rule.')
param location string = resourceGroup().location

@description('Prefix of the resource names.')
param namePrefix string = 'air-paradis'

@description('Create the rule enabled.')
param enabled bool = true

var rule = loadJsonContent('alert-rule.json')
// The bad-buzz rule (window, cool-down, event name) generated from monitoring/buzz/rule.py by
// `python -m monitoring.buzz.rule --write`: one alert per group (dimension) per episode.
var buzzRule = loadJsonContent('buzz-rule.json')

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-oncall'
  location: 'global'
  properties: {
    groupShortName: 'airparadis' // 12 characters at most
    enabled: true
    emailReceivers: [
      {
        name: 'oncall-email'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
    smsReceivers: [
      {
        name: 'oncall-sms'
        countryCode: alertPhoneCountryCode
        phoneNumber: alertPhone
      }
    ]
  }
}

resource mispredictionAlert 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-mispredictions'
  location: location
  properties: {
    displayName: rule.name
    description: rule.description
    severity: rule.severity
    enabled: enabled
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: rule.evaluationFrequency
    windowSize: rule.windowSize
    // at most one notification per window: actions are muted for one window after firing
    muteActionsDuration: rule.muteActionsDuration
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: rule.timeAggregation
          metricMeasureColumn: rule.metricMeasureColumn
          operator: rule.operator
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource badBuzzAlert 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-bad-buzz'
  location: location
  properties: {
    displayName: buzzRule.name
    description: buzzRule.description
    severity: buzzRule.severity
    enabled: enabled
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: buzzRule.evaluationFrequency
    windowSize: buzzRule.windowSize
    // one notification per group and episode: actions are muted for the rule's cool-down
    muteActionsDuration: buzzRule.muteActionsDuration
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: buzzRule.query
          timeAggregation: buzzRule.timeAggregation
          metricMeasureColumn: buzzRule.metricMeasureColumn
          dimensions: [
            {
              name: buzzRule.dimension
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: buzzRule.operator
          threshold: buzzRule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output actionGroupId string = actionGroup.id
output alertRuleId string = mispredictionAlert.id
output query string = rule.query
output badBuzzRuleId string = badBuzzAlert.id
