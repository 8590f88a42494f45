//! SearchNotifications: turning the request's criteria and tag filter into
//! a validated [`SearchQuery`], and a reference evaluator of that query
//! over one notification (the store evaluates it with indexes).

use herald_store::{
    Comparison, CreatedCursor, Notification, SearchExpr, SearchField, SearchQuery, TagFilter,
    fold_case,
};
use serde::Serialize;

use super::validate::{invalid, required};
use super::{ConnectService, created_token_cursor, validate};
use crate::error::ConnectResult;
use crate::pagination::TokenScope;
use crate::{Caller, Page};

/// Nesting deeper than this is refused: it bounds recursion and query size.
pub const MAX_DEPTH: usize = 8;
/// At most this many string conditions in one request.
pub const MAX_CONDITIONS: usize = 50;
/// Longest value a string condition may compare with (the longest text).
pub const MAX_VALUE_CHARS: usize = 500;
/// At most this many tag conditions in one request.
pub const MAX_TAG_CONDITIONS: usize = 50;

const FIELDS: &str = "Id, NotificationId, Content";
const COMPARISONS: &str = "EXACT, CONTAINS, STARTS_WITH";

#[derive(Debug, Clone, Default, Serialize)]
pub struct StringConditionInput {
    pub field_name: Option<String>,
    pub value: Option<String>,
    pub comparison_type: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CriteriaInput {
    pub or_conditions: Option<Vec<CriteriaInput>>,
    pub and_conditions: Option<Vec<CriteriaInput>>,
    pub string_condition: Option<StringConditionInput>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TagPair {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AttributeFilterInput {
    /// An OR of groups, each group an AND of tag conditions.
    pub or_conditions: Option<Vec<Vec<TagPair>>>,
    pub and_condition: Option<Vec<TagPair>>,
    pub tag_condition: Option<TagPair>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchInput {
    pub instance_id: String,
    #[serde(skip)]
    pub max_results: Option<i64>,
    #[serde(skip)]
    pub next_token: Option<String>,
    pub criteria: Option<CriteriaInput>,
    pub attribute_filter: Option<AttributeFilterInput>,
}

fn parse_condition(condition: &StringConditionInput) -> ConnectResult<SearchExpr> {
    let field_name = required(condition.field_name.as_deref(), "StringCondition.FieldName")?;
    let field = match field_name {
        "Id" | "NotificationId" => SearchField::Id,
        "Content" => SearchField::Content,
        other => {
            return Err(invalid(format!(
                "StringCondition.FieldName '{other}' is not searchable; valid fields: {FIELDS}."
            )));
        }
    };
    let comparison_name = required(
        condition.comparison_type.as_deref(),
        "StringCondition.ComparisonType",
    )?;
    let comparison = match comparison_name {
        "EXACT" => Comparison::Exact,
        "CONTAINS" => Comparison::Contains,
        "STARTS_WITH" => Comparison::StartsWith,
        other => {
            return Err(invalid(format!(
                "StringCondition.ComparisonType '{other}' is not valid; valid values: {COMPARISONS}."
            )));
        }
    };
    let value = required(condition.value.as_deref(), "StringCondition.Value")?;
    // No id or text is longer, so a longer value could never match; the
    // bound also keeps one search from holding the store for long.
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(invalid(format!(
            "StringCondition.Value must be at most {MAX_VALUE_CHARS} characters."
        )));
    }
    let value = match comparison {
        Comparison::Exact => value.to_owned(),
        Comparison::Contains | Comparison::StartsWith => fold_case(value),
    };
    Ok(SearchExpr::Text {
        field,
        comparison,
        value,
    })
}

fn parse_criteria(
    criteria: &CriteriaInput,
    depth: usize,
    leaves: &mut usize,
) -> ConnectResult<Option<SearchExpr>> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "SearchCriteria nests deeper than {MAX_DEPTH} levels."
        )));
    }
    let mut parts = Vec::new();
    if let Some(condition) = &criteria.string_condition {
        *leaves += 1;
        if *leaves > MAX_CONDITIONS {
            return Err(invalid(format!(
                "SearchCriteria has more than {MAX_CONDITIONS} string conditions."
            )));
        }
        parts.push(parse_condition(condition)?);
    }
    for (list, is_and) in [
        (&criteria.and_conditions, true),
        (&criteria.or_conditions, false),
    ] {
        let Some(list) = list else { continue };
        let mut children = Vec::new();
        for child in list {
            if let Some(expr) = parse_criteria(child, depth + 1, leaves)? {
                children.push(expr);
            }
        }
        match children.len() {
            0 => {}
            1 => parts.extend(children),
            _ if is_and => parts.push(SearchExpr::All(children)),
            _ => parts.push(SearchExpr::Any(children)),
        }
    }
    Ok(match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(SearchExpr::All(parts)),
    })
}

fn parse_tag(pair: &TagPair, count: &mut usize) -> ConnectResult<(String, String)> {
    *count += 1;
    if *count > MAX_TAG_CONDITIONS {
        return Err(invalid(format!(
            "AttributeFilter has more than {MAX_TAG_CONDITIONS} tag conditions."
        )));
    }
    let key = required(pair.key.clone(), "TagCondition.TagKey")?;
    let value = required(pair.value.clone(), "TagCondition.TagValue")?;
    Ok((key, value))
}

fn parse_group(group: &[TagPair], count: &mut usize) -> ConnectResult<Vec<(String, String)>> {
    group.iter().map(|pair| parse_tag(pair, count)).collect()
}

/// The filter in disjunctive normal form. Members side by side are ANDed,
/// which distributes the AND over the OR groups.
fn parse_filter(filter: &AttributeFilterInput) -> ConnectResult<Option<TagFilter>> {
    let mut count = 0;
    let mut required_pairs = Vec::new();
    if let Some(pair) = &filter.tag_condition {
        required_pairs.push(parse_tag(pair, &mut count)?);
    }
    if let Some(group) = &filter.and_condition {
        required_pairs.extend(parse_group(group, &mut count)?);
    }
    let groups: Vec<Vec<(String, String)>> = match &filter.or_conditions {
        Some(groups) if !groups.is_empty() => groups
            .iter()
            .map(|group| parse_group(group, &mut count))
            .collect::<ConnectResult<_>>()?,
        _ => vec![Vec::new()],
    };
    let dnf: TagFilter = groups
        .into_iter()
        .map(|mut group| {
            group.extend(required_pairs.iter().cloned());
            group
        })
        .filter(|group| !group.is_empty())
        .collect();
    Ok(if dnf.is_empty() { None } else { Some(dnf) })
}

pub fn parse_query(input: &SearchInput) -> ConnectResult<SearchQuery> {
    let mut leaves = 0;
    let criteria = match &input.criteria {
        Some(criteria) => parse_criteria(criteria, 1, &mut leaves)?,
        None => None,
    };
    let tags = match &input.attribute_filter {
        Some(filter) => parse_filter(filter)?,
        None => None,
    };
    Ok(SearchQuery { criteria, tags })
}

fn text_matches(comparison: Comparison, text: &str, value: &str) -> bool {
    match comparison {
        Comparison::Exact => text == value,
        Comparison::Contains => fold_case(text).contains(value),
        Comparison::StartsWith => fold_case(text).starts_with(value),
    }
}

/// Reference semantics of a search expression over one notification.
pub fn expr_matches(expr: &SearchExpr, notification: &Notification) -> bool {
    match expr {
        SearchExpr::All(parts) => parts.iter().all(|part| expr_matches(part, notification)),
        SearchExpr::Any(parts) => parts.iter().any(|part| expr_matches(part, notification)),
        SearchExpr::Text {
            field: SearchField::Id,
            comparison,
            value,
        } => text_matches(*comparison, &notification.id, value),
        SearchExpr::Text {
            field: SearchField::Content,
            comparison,
            value,
        } => notification
            .content
            .values()
            .any(|text| text_matches(*comparison, text, value)),
    }
}

/// Reference semantics of a whole query over one notification.
pub fn query_matches(query: &SearchQuery, notification: &Notification) -> bool {
    let criteria_ok = query
        .criteria
        .as_ref()
        .is_none_or(|expr| expr_matches(expr, notification));
    let tags_ok = query.tags.as_ref().is_none_or(|groups| {
        groups.iter().any(|group| {
            group
                .iter()
                .all(|(key, value)| notification.tags.get(key) == Some(value))
        })
    });
    criteria_ok && tags_ok
}

impl ConnectService {
    pub async fn search_notifications(
        &self,
        caller: &Caller,
        input: SearchInput,
    ) -> ConnectResult<(Page<Notification>, u64)> {
        let limit = validate::max_results(input.max_results, 100, 100)?;
        let query = parse_query(&input)?;
        let instance = self.instance(caller, &input.instance_id).await?;
        let scope = TokenScope::new("SearchNotifications", &input);
        let after = self
            .tokens
            .cursor::<(i64, i64)>(&scope, input.next_token.as_deref())?
            .map(|(created_ms, seq)| CreatedCursor { created_ms, seq });
        let page = self
            .store
            .search_notifications(instance.seq, &query, self.clock.now(), after, limit + 1)
            .await?;
        Ok((
            self.tokens
                .page(page.notifications, limit, &scope, created_token_cursor),
            page.total,
        ))
    }
}

#[cfg(test)]
mod tests;
