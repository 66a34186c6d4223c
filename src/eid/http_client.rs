//! The HTTP client `openidconnect` calls, on the gateway's own reqwest (which it cannot use
//! directly: it is built on another reqwest major version).

use openidconnect::{HttpRequest, HttpResponse};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// A function the crate accepts as its asynchronous HTTP client.
pub fn client(
    http: &reqwest::Client,
) -> impl Fn(
    HttpRequest,
) -> std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send>>
+ use<> {
    let http = http.clone();
    move |request| Box::pin(send(http.clone(), request))
}

async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let fail = |e: &dyn std::fmt::Display| HttpError(e.to_string());
    let method =
        reqwest::Method::from_bytes(request.method().as_str().as_bytes()).map_err(|e| fail(&e))?;
    let mut outgoing = http.request(method, request.uri().to_string());
    for (name, value) in request.headers() {
        outgoing = outgoing.header(name.as_str(), value.as_bytes());
    }
    let response = outgoing
        .body(request.body().clone())
        .send()
        .await
        .map_err(|e| fail(&e))?;
    let mut answer = openidconnect::http::Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        answer = answer.header(name.as_str(), value.as_bytes());
    }
    let body = response.bytes().await.map_err(|e| fail(&e))?;
    answer.body(body.to_vec()).map_err(|e| fail(&e))
}
