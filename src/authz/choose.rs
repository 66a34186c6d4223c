//! `/auth/choose`: whom the citizen acts for (R34). The candidates are the citizen, their
//! children and the people who gave them a power of attorney, as the portal says, each
//! offered only where the access policy (`consent::policy`) lets the citizen act for them
//! today; the citizen themself only from the country's own-use age (R44).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::authz::AuthServer;
use crate::authz::authorize::{expired_page, forged_page, see_other, store_failure};
use crate::authz::flow::Flow;
use crate::authz::pages::{csrf_field, error_page, escape, html_page};
use crate::consent::policy::{self, Actor, Decision, DenyReason};
use crate::mapping::ids;
use crate::portal::PortalError;
use crate::portal::model::Person;

/// One person the citizen may act for.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub patient_id: String,
    pub name: String,
    pub relation: &'static str,
}

/// Whom `user` (a Patient id) may act for, and why not for themself when they may not.
pub async fn candidates(
    server: &AuthServer,
    user: &str,
) -> Result<(Vec<Candidate>, Option<DenyReason>), PortalError> {
    let Some(parsed) = ids::parse(user).filter(|p| p.record.is_none()) else {
        return Ok((vec![], Some(DenyReason::NoRelation)));
    };
    let country = parsed.country;
    let Some(source) = server.portals.get(country) else {
        return Ok((vec![], Some(DenyReason::NoRelation)));
    };
    let Some(me) = source.person(parsed.person).await? else {
        return Ok((vec![], Some(DenyReason::NoRelation)));
    };
    let today = server.clock.today();
    let mut list = Vec::new();
    let own = match policy::decide_with(&server.own_use_ages, &me, Actor::Subject, today) {
        Decision::Permit { .. } => {
            list.push(Candidate {
                patient_id: user.to_owned(),
                name: display_name(&me),
                relation: "yourself",
            });
            None
        }
        Decision::Deny(reason) => Some(reason),
    };
    // Children: the register names guardians on the child. A source that cannot list its
    // population offers no children (its persons are reached by identifier only).
    match source.persons().await {
        Ok(persons) => {
            for child in persons
                .iter()
                .filter(|p| p.guardians.iter().any(|g| *g == me.key))
            {
                if matches!(
                    policy::decide_with(&server.own_use_ages, child, Actor::Guardian(&me), today),
                    Decision::Permit { .. }
                ) {
                    list.push(Candidate {
                        patient_id: ids::patient_id(country, &child.key),
                        name: display_name(child),
                        relation: "your child",
                    });
                }
            }
        }
        Err(PortalError::ListingNotSupported) => {
            tracing::info!(
                country = country.code(),
                "the portal cannot list children; only powers of attorney are offered"
            );
        }
        Err(error) => return Err(error),
    }
    for power in source.powers_of_attorney(&me.key).await? {
        if power.holder != me.key
            || list
                .iter()
                .any(|c| c.patient_id == ids::patient_id(country, &power.grantor))
        {
            continue;
        }
        let Some(grantor) = source.person(&power.grantor).await? else {
            continue;
        };
        let actor = Actor::Attorney {
            holder: &me,
            power: &power,
        };
        if matches!(
            policy::decide_with(&server.own_use_ages, &grantor, actor, today),
            Decision::Permit { .. }
        ) {
            list.push(Candidate {
                patient_id: ids::patient_id(country, &grantor.key),
                name: display_name(&grantor),
                relation: "power of attorney",
            });
        }
    }
    Ok((list, own))
}

pub fn display_name(person: &Person) -> String {
    format!("{} {}", person.given.join(" "), person.family)
}

fn own_use_page(reason: DenyReason) -> HttpResponse {
    let message = match reason {
        DenyReason::BelowOwnUseAge => {
            "You are below the minimum age for using health apps yourself in your country. No access was given to the app."
        }
        other => other.message(),
    };
    error_page(StatusCode::FORBIDDEN, "Access not possible", message)
}

async fn logged_in_flow(
    server: &AuthServer,
    req: &HttpRequest,
) -> Result<(String, Flow), HttpResponse> {
    match Flow::of(server, req).await {
        Ok(Some((id, flow))) if flow.user.is_some() && flow.app.is_some() => Ok((id, flow)),
        Ok(_) => Err(expired_page()),
        Err(error) => Err(store_failure(error)),
    }
}

pub async fn choice_page(server: &AuthServer, flow: &Flow) -> HttpResponse {
    let user = flow.user.as_deref().unwrap_or_default();
    let (list, own) = match candidates(server, user).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "the portal could not list whom a citizen may act for");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable",
                "The health portal cannot be reached at the moment. Please try again later.",
            );
        }
    };
    if list.is_empty() {
        return own_use_page(own.unwrap_or(DenyReason::NoRelation));
    }
    let mut options = String::new();
    for (i, candidate) in list.iter().enumerate() {
        let checked = if i == 0 { " checked" } else { "" };
        options.push_str(&format!(
            "<li><label><input type=\"radio\" name=\"patient\" value=\"{}\"{checked}> {} ({})</label></li>\n",
            escape(&candidate.patient_id),
            escape(&candidate.name),
            candidate.relation,
        ));
    }
    let note = match own {
        Some(DenyReason::BelowOwnUseAge) => {
            "<p>You are below the minimum age for using health apps for yourself, but you can act for the people below.</p>"
        }
        _ => "",
    };
    let body = format!(
        "{note}<form method=\"post\" action=\"/auth/choose\">{}\
         <fieldset><legend>Whom do you act for?</legend><ul>{options}</ul></fieldset>\
         <button type=\"submit\">Continue</button></form>",
        csrf_field(&flow.csrf)
    );
    html_page(StatusCode::OK, "Choose whom you act for", &body)
}

pub async fn page(req: HttpRequest, server: web::Data<AuthServer>) -> HttpResponse {
    match logged_in_flow(&server, &req).await {
        Ok((_, flow)) => choice_page(&server, &flow).await,
        Err(response) => response,
    }
}

pub async fn submit(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (id, mut flow) = match logged_in_flow(&server, &req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !flow.csrf_ok(form.get("csrf").map(String::as_str)) {
        return forged_page();
    }
    let user = flow.user.clone().unwrap_or_default();
    let (list, own) = match candidates(&server, &user).await {
        Ok(found) => found,
        Err(_) => {
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable",
                "The health portal cannot be reached at the moment. Please try again later.",
            );
        }
    };
    let chosen = form.get("patient").cloned().unwrap_or_default();
    if !list.iter().any(|c| c.patient_id == chosen) {
        if chosen == user
            && let Some(reason) = own
        {
            return own_use_page(reason);
        }
        return error_page(
            StatusCode::FORBIDDEN,
            "Access not possible",
            "You cannot act for this person.",
        );
    }
    flow.patient = Some(chosen);
    if let Err(error) = flow.save(&server, &id).await {
        return store_failure(error);
    }
    see_other("/auth/approve")
}
