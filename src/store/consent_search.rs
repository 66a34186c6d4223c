//! Finding Consents by the indexed columns: the query and its SQL, shared by both backends.

use crate::store::sql::Bind;

/// A code to match: `system` absent matches the code in any system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFilter {
    pub system: Option<String>,
    pub code: String,
}

impl CodeFilter {
    pub fn code(code: &str) -> CodeFilter {
        CodeFilter {
            system: None,
            code: code.to_owned(),
        }
    }
}

/// Consents whose `dateTime` lies within `[from_ms, before_ms)` (milliseconds since the
/// epoch; either end may be open). A Consent without `dateTime` is outside every window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateWindow {
    pub from_ms: Option<i64>,
    pub before_ms: Option<i64>,
}

/// What to look for; every field that is set must match (AND). Results come newest first
/// (by last update), then by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentQuery {
    /// The Patient id of `Consent.patient`.
    pub patient: Option<String>,
    /// Any of these statuses; empty: any status.
    pub status: Vec<String>,
    pub scope: Option<CodeFilter>,
    /// A Consent with this category among its categories.
    pub category: Option<CodeFilter>,
    pub date: Option<DateWindow>,
    /// Most results; `None`: all.
    pub limit: Option<u32>,
    pub offset: u32,
}

/// The SQL of a query, with `$n` placeholders (which both SQLite and PostgreSQL accept) and
/// the values to bind in order. `select` is either the row columns or a count.
pub fn sql(query: &ConsentQuery, select: Select) -> (String, Vec<Bind>) {
    let mut sql = String::from(match select {
        Select::Rows => "SELECT id, version, last_updated_ms, resource FROM consents WHERE TRUE",
        Select::Count => "SELECT COUNT(*) FROM consents WHERE TRUE",
    });
    let mut binds = Vec::new();
    let mut push = |sql: &mut String, fragment: &str, value: Bind| {
        binds.push(value);
        sql.push_str(&fragment.replace('?', &format!("${}", binds.len())));
    };
    if let Some(patient) = &query.patient {
        push(&mut sql, " AND patient_id = ?", Bind::Text(patient.clone()));
    }
    if !query.status.is_empty() {
        sql.push_str(" AND status IN (");
        for (i, status) in query.status.iter().enumerate() {
            let separator = if i == 0 { "?" } else { ", ?" };
            push(&mut sql, separator, Bind::Text(status.clone()));
        }
        sql.push(')');
    }
    if let Some(scope) = &query.scope {
        push(
            &mut sql,
            " AND scope_code = ?",
            Bind::Text(scope.code.clone()),
        );
        if let Some(system) = &scope.system {
            push(
                &mut sql,
                " AND scope_system = ?",
                Bind::Text(system.clone()),
            );
        }
    }
    if let Some(category) = &query.category {
        push(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM consent_categories c WHERE c.consent_id = consents.id AND c.code = ?",
            Bind::Text(category.code.clone()),
        );
        if let Some(system) = &category.system {
            push(&mut sql, " AND c.system = ?", Bind::Text(system.clone()));
        }
        sql.push(')');
    }
    if let Some(window) = &query.date {
        if let Some(from) = window.from_ms {
            push(&mut sql, " AND date_start_ms >= ?", Bind::Int(from));
        }
        if let Some(before) = window.before_ms {
            push(&mut sql, " AND date_end_ms <= ?", Bind::Int(before));
        }
        if window.from_ms.is_none() && window.before_ms.is_none() {
            sql.push_str(" AND date_start_ms IS NOT NULL");
        }
    }
    if select == Select::Rows {
        sql.push_str(" ORDER BY last_updated_ms DESC, id");
        // Literals, not parameters: SQLite's planner reads a bound LIMIT's value (unless QPSG is on), which makes
        // it re-prepare the statement whenever it is bound again, i.e. on every execution
        // (half the cost of the per-request Consent read). They are integers of ours, and
        // the few distinct values each keep their own cached statement.
        if query.limit.is_some() || query.offset > 0 {
            let limit = query.limit.map_or(i64::MAX, i64::from);
            sql.push_str(&format!(" LIMIT {limit} OFFSET {}", query.offset));
        }
    }
    (sql, binds)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    Rows,
    Count,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_bind_order() {
        let query = ConsentQuery {
            patient: Some("no.p-1".into()),
            status: vec!["active".into(), "draft".into()],
            category: Some(CodeFilter {
                system: Some("http://loinc.org".into()),
                code: "59284-0".into(),
            }),
            date: Some(DateWindow {
                from_ms: Some(5),
                before_ms: None,
            }),
            ..Default::default()
        };
        let (sql, binds) = sql(&query, Select::Rows);
        assert!(sql.contains("patient_id = $1"), "{sql}");
        assert!(sql.contains("status IN ($2, $3)"), "{sql}");
        assert!(sql.contains("c.code = $4 AND c.system = $5)"), "{sql}");
        assert!(sql.contains("date_start_ms >= $6"), "{sql}");
        assert!(sql.ends_with("ORDER BY last_updated_ms DESC, id"), "{sql}");
        assert_eq!(binds.len(), 6);
        assert_eq!(binds[5], Bind::Int(5));
        let page = ConsentQuery {
            limit: Some(10),
            offset: 20,
            ..Default::default()
        };
        assert!(
            super::sql(&page, Select::Rows)
                .0
                .ends_with(" LIMIT 10 OFFSET 20")
        );
        let rest = ConsentQuery {
            offset: 5,
            ..Default::default()
        };
        let (rest, binds) = super::sql(&rest, Select::Rows);
        assert!(
            rest.ends_with(&format!(" LIMIT {} OFFSET 5", i64::MAX)),
            "{rest}"
        );
        assert!(binds.is_empty());
        let (count, binds) = super::sql(&ConsentQuery::default(), Select::Count);
        assert_eq!(count, "SELECT COUNT(*) FROM consents WHERE TRUE");
        assert!(binds.is_empty());
    }
}
