//! `/auth/approve`: the app's name and the access it asks for, in plain words, for the
//! person chosen; the citizen approves (a grant is remembered, R38, and a single-use code
//! goes to the app) or denies (`access_denied`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::ScopeSet;
use crate::auth::scopes::ScopeContext;
use crate::authz::authorize::{
    expired_page, forged_page, redirect_with, set_cookie, store_failure,
};
use crate::authz::choose::{candidates, display_name};
use crate::authz::flow::{Flow, now_ms};
use crate::authz::pages::{csrf_field, escape, html_page};
use crate::authz::tokens::{digest, random_id, random_secret};
use crate::authz::{AuthServer, cookies};
use crate::mapping::ids;

/// What a code stands for; stored with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeDetails {
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    pub grant_id: String,
    pub session: Option<String>,
    pub user: String,
    pub patient: String,
    pub nonce: Option<String>,
    pub acr: Option<String>,
    pub auth_time: i64,
}

/// A resource type in the citizen's words.
fn type_words(resource_type: Option<&str>) -> String {
    match resource_type {
        None => "health data (all kinds)".into(),
        Some("Immunization") => "vaccinations".into(),
        Some("MedicationRequest") => "prescriptions".into(),
        Some("MedicationDispense") => "medicines handed out at pharmacies".into(),
        Some("MedicationStatement") => "medicines".into(),
        Some("AllergyIntolerance") => "allergies".into(),
        Some("Condition") => "health problems and diagnoses".into(),
        Some("Observation") => "test results".into(),
        Some("DiagnosticReport") => "laboratory reports".into(),
        Some("Patient") => "personal details".into(),
        Some("Consent") => "privacy choices".into(),
        Some(other) => other.to_owned(),
    }
}

/// One line per scope, in plain words (`whose`: "your" or the person's name with "'s").
pub fn describe(scope: &str, whose: &str) -> Vec<String> {
    let set = ScopeSet::parse(scope);
    let mut lines = Vec::new();
    for other in set.other() {
        match other.as_str() {
            "openid" | "fhirUser" => {
                let line = "Know who you are (your name)".to_owned();
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
            "launch/patient" => lines.push(format!("Open {whose} record")),
            "offline_access" => lines.push(
                "Keep its access until you revoke it, also when you are not using the app".into(),
            ),
            other => lines.push(other.to_owned()),
        }
    }
    for resource in set
        .resource_scopes()
        .iter()
        .filter(|s| s.context == ScopeContext::Patient)
    {
        let p = &resource.permissions;
        let mut verbs = Vec::new();
        if p.read || p.search {
            verbs.push("read");
        }
        if p.create {
            verbs.push("add to");
        }
        if p.update {
            verbs.push("change");
        }
        if p.delete {
            verbs.push("delete");
        }
        let mut line = format!(
            "{} {whose} {}",
            capitalise(&verbs.join(", ")),
            type_words(resource.resource_type.as_deref())
        );
        if !resource.query.is_empty() {
            let only: Vec<String> = resource
                .query
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            line.push_str(&format!(" (only {})", only.join(", ")));
        }
        lines.push(line);
    }
    lines
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

async fn ready_flow(
    server: &AuthServer,
    req: &HttpRequest,
) -> Result<(String, Flow), HttpResponse> {
    match Flow::of(server, req).await {
        Ok(Some((id, flow)))
            if flow.patient.is_some() && flow.app.is_some() && flow.user.is_some() =>
        {
            Ok((id, flow))
        }
        Ok(_) => Err(expired_page()),
        Err(error) => Err(store_failure(error)),
    }
}

pub(crate) async fn patient_name(server: &AuthServer, patient_id: &str) -> String {
    let Some(parsed) = ids::parse(patient_id) else {
        return patient_id.to_owned();
    };
    match server.portals.get(parsed.country) {
        Some(source) => match source.person(parsed.person).await {
            Ok(Some(person)) => display_name(&person),
            _ => patient_id.to_owned(),
        },
        None => patient_id.to_owned(),
    }
}

pub async fn approval_page(server: &AuthServer, flow: &Flow) -> HttpResponse {
    let app = flow.app.as_ref().expect("checked");
    let patient = flow.patient.as_deref().unwrap_or_default();
    let client_name = server
        .clients
        .get(&app.client_id)
        .map(|c| c.name().to_owned())
        .unwrap_or_default();
    let who = patient_name(server, patient).await;
    let whose = if Some(patient) == flow.user.as_deref() {
        "your".to_owned()
    } else {
        format!("{who}'s")
    };
    let items: String = describe(&app.scope, &whose)
        .iter()
        .map(|line| format!("<li>{}</li>", escape(line)))
        .collect();
    let body = format!(
        "<p><strong>{app_name}</strong> asks for access to the health data of <strong>{who}</strong>. It will be able to:</p>\
         <ul>{items}</ul>\
         <form method=\"post\" action=\"/auth/approve\">{csrf}\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>\
         <p>You can revoke this access at any time on <a href=\"/auth/account\">your account page</a>.</p>",
        app_name = escape(&client_name),
        who = escape(&who),
        csrf = csrf_field(&flow.csrf),
    );
    html_page(StatusCode::OK, "Approve access", &body)
}

pub async fn page(req: HttpRequest, server: web::Data<AuthServer>) -> HttpResponse {
    match ready_flow(&server, &req).await {
        Ok((_, flow)) => approval_page(&server, &flow).await,
        Err(response) => response,
    }
}

pub async fn submit(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (id, flow) = match ready_flow(&server, &req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !flow.csrf_ok(form.get("csrf").map(String::as_str)) {
        return forged_page();
    }
    let app = flow.app.clone().expect("checked");
    let user = flow.user.clone().expect("checked");
    let patient = flow.patient.clone().expect("checked");
    // The flow ends here either way: a second submission finds nothing.
    if let Err(error) = server.store.delete_flow(&digest(&id)).await {
        return store_failure(error);
    }
    let mut response = if form.get("decision").map(String::as_str) != Some("approve") {
        redirect_with(
            &app.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied the request"),
                ("state", &app.state),
            ],
        )
    } else {
        // The choice is checked again: the portal's relations may have changed meanwhile.
        match candidates(&server, &user).await {
            Ok((list, _)) if list.iter().any(|c| c.patient_id == patient) => {}
            _ => return expired_page(),
        }
        match issue_code(&server, &flow).await {
            Ok(code) => redirect_with(&app.redirect_uri, &[("code", &code), ("state", &app.state)]),
            Err(error) => return store_failure(error),
        }
    };
    set_cookie(&mut response, cookies::clear(cookies::FLOW));
    response
}

async fn issue_code(server: &AuthServer, flow: &Flow) -> Result<String, crate::store::StoreError> {
    let app = flow.app.as_ref().expect("checked");
    let user = flow.user.clone().expect("checked");
    let patient = flow.patient.clone().expect("checked");
    let now = now_ms();
    let grant_id = server
        .store
        .approve(
            &random_id(),
            &app.client_id,
            &user,
            &patient,
            &app.scope,
            now,
        )
        .await?;
    let code = random_secret();
    let details = CodeDetails {
        redirect_uri: app.redirect_uri.clone(),
        scope: app.scope.clone(),
        code_challenge: app.code_challenge.clone(),
        grant_id,
        session: flow.session.clone(),
        user,
        patient,
        nonce: app.nonce.clone(),
        acr: flow.acr.clone(),
        auth_time: flow.auth_time.unwrap_or(now / 1000),
    };
    let expires = now + server.settings.code_seconds as i64 * 1000;
    server
        .store
        .insert_code(
            &digest(&code),
            &app.client_id,
            &serde_json::to_string(&details).expect("serialises"),
            expires,
        )
        .await?;
    Ok(code)
}

/// `GET /auth/example-callback`: the example client's redirect target, so that a newcomer
/// sees the code and how to exchange it without writing an app.
pub async fn example_callback(
    server: web::Data<AuthServer>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    if let Some(error) = query.get("error") {
        return crate::authz::pages::error_page(
            StatusCode::OK,
            "The app got no access",
            &format!("error: {error}"),
        );
    }
    let code = query.get("code").cloned().unwrap_or_default();
    let body = format!(
        "<p>The app received this authorization code (valid for {seconds} seconds, once):</p>\
         <pre>{code}</pre><p>Exchange it for a token:</p>\
         <pre>curl -s {token} -d grant_type=authorization_code -d client_id=example-app \\\n  -d redirect_uri={redirect} \\\n  -d code={code} -d code_verifier=$VERIFIER</pre>",
        seconds = server.settings.code_seconds,
        code = escape(&code),
        token = escape(&server.token_endpoint()),
        redirect = escape(&format!("{}/auth/example-callback", server.issuer)),
    );
    html_page(StatusCode::OK, "Authorization code", &body)
}
