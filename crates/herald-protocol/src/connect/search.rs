//! SearchNotifications: the wire criteria become the domain's input tree.

use herald_domain::Caller;
use herald_domain::connect::{
    AttributeFilterInput, ConnectService, CriteriaInput, SearchInput, StringConditionInput, TagPair,
};
use serde::Serialize;

use super::shapes::{
    AttributeFilter, NotificationShape, SearchCriteria, SearchNotificationsRequest,
    TagAndCondition, TagCondition,
};
use super::{HandlerResult, domain, json};
use crate::aws::{AwsError, AwsRequest};

fn criteria_input(criteria: SearchCriteria) -> CriteriaInput {
    let list = |items: Option<Vec<SearchCriteria>>| {
        items.map(|items| items.into_iter().map(criteria_input).collect())
    };
    CriteriaInput {
        or_conditions: list(criteria.or_conditions),
        and_conditions: list(criteria.and_conditions),
        string_condition: criteria
            .string_condition
            .map(|condition| StringConditionInput {
                field_name: condition.field_name,
                value: condition.value,
                comparison_type: condition.comparison_type,
            }),
    }
}

fn tag_pair(condition: TagCondition) -> TagPair {
    TagPair {
        key: condition.tag_key,
        value: condition.tag_value,
    }
}

fn tag_group(group: TagAndCondition) -> Vec<TagPair> {
    group
        .tag_conditions
        .unwrap_or_default()
        .into_iter()
        .map(tag_pair)
        .collect()
}

fn filter_input(filter: AttributeFilter) -> AttributeFilterInput {
    AttributeFilterInput {
        or_conditions: filter
            .or_conditions
            .map(|groups| groups.into_iter().map(tag_group).collect()),
        and_condition: filter.and_condition.map(tag_group),
        tag_condition: filter.tag_condition.map(tag_pair),
    }
}

/// The request body as the domain's input; public so that the fuzz target
/// decodes exactly as the handler does.
pub fn search_input(body: SearchNotificationsRequest) -> Result<SearchInput, AwsError> {
    let instance_id = body
        .instance_id
        .ok_or_else(|| AwsError::invalid_parameter("InstanceId is required."))?;
    Ok(SearchInput {
        instance_id,
        max_results: body.max_results,
        next_token: body.next_token,
        criteria: body.search_criteria.map(criteria_input),
        attribute_filter: body
            .search_filter
            .and_then(|filter| filter.attribute_filter)
            .map(filter_input),
    })
}

pub async fn search(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let input = search_input(request.json()?)?;
    let instance_id = input.instance_id.clone();
    let (page, total) = service
        .search_notifications(caller, input)
        .await
        .map_err(domain)?;
    let notifications: Vec<NotificationShape> = page
        .items
        .iter()
        .map(|notification| NotificationShape::new(notification, Some(&instance_id)))
        .collect();
    Ok(json(&SearchNotificationsResponse {
        notifications,
        approximate_total_count: total,
        next_token: page.next_token,
    }))
}

/// The response body, serialised as it is written (no `serde_json::Value`
/// tree of the page built and dropped in between).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SearchNotificationsResponse<'a> {
    notifications: Vec<NotificationShape<'a>>,
    approximate_total_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}
