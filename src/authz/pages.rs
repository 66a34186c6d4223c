//! The citizen's pages: plain server-rendered HTML, every value escaped, forms with a CSRF
//! token, labelled controls and buttons (so that screen readers, and browsers driven by
//! tests, find them by role and name). No JavaScript.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

/// Text for element content and quoted attribute values: the one escape of the gateway's
/// HTML and XHTML.
pub use crate::fhir::ips::narrative::escape;

/// A whole page; `body` is already HTML (built with `escape`).
pub fn html_page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}\
         fieldset{{border:1px solid #ccc;padding:1em}}button{{font-size:1em;margin:.5em .5em 0 0}}\
         li{{margin:.3em 0}}</style></head>\
         <body><main><h1>{title}</h1>\n{body}\n</main></body></html>",
        title = escape(title),
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'"))
        .body(html)
}

/// A page that ends the flow with a message and no token.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    html_page(
        status,
        title,
        &format!("<p role=\"alert\">{}</p>", escape(message)),
    )
}

/// A hidden CSRF field.
pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(token)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
