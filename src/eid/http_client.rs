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
    move |request| Box::pin(send(http.clone(), request, None))
}

/// Like `client`, refusing every request off `origin` (scheme, host, port, as
/// serialised by `Url::origin`). Discovery
/// fetches the document under the issuer and then the `jwks_uri` it names, in one call of
/// the crate: this keeps a discovery document from pointing the gateway at keys elsewhere.
pub fn client_on_origin(
    http: &reqwest::Client,
    origin: String,
) -> impl Fn(
    HttpRequest,
) -> std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send>>
+ use<> {
    let http = http.clone();
    move |request| Box::pin(send(http.clone(), request, Some(origin.clone())))
}

async fn send(
    http: reqwest::Client,
    request: HttpRequest,
    origin: Option<String>,
) -> Result<HttpResponse, HttpError> {
    let fail = |e: &dyn std::fmt::Display| HttpError(e.to_string());
    if let Some(origin) = origin {
        let target = reqwest::Url::parse(&request.uri().to_string()).map_err(|e| fail(&e))?;
        let on_origin =
            target.origin().is_tuple() && target.origin().ascii_serialization() == origin;
        if !on_origin {
            return Err(HttpError(format!(
                "{} is not on the issuer's origin {origin}",
                target.origin().ascii_serialization()
            )));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str) -> HttpRequest {
        openidconnect::http::Request::builder()
            .uri(url)
            .body(Vec::new())
            .unwrap()
    }

    #[tokio::test]
    async fn requests_off_the_issuers_origin_are_refused_before_they_are_sent() {
        let call = client_on_origin(&reqwest::Client::new(), "https://eid.example.no".into());
        for url in [
            "https://keys.example.net/jwks",
            "http://eid.example.no/jwks",
            "https://eid.example.no:8443/jwks",
        ] {
            let error = call(get(url)).await.unwrap_err();
            assert!(
                error.to_string().contains("is not on the issuer's origin"),
                "{url}: {error}"
            );
        }
    }
}
