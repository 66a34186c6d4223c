//! The baseline of the benchmarks (DESIGN §7): a bare actix-web handler that answers every
//! GET with the same bytes the gateway would send, with no authentication, consent, mapping
//! or audit. The gateway's throughput is reported as a ratio of this one's, measured in the
//! same run on the same machine.
//!
//! Usage: bench_baseline <port> <file with the response body>

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect("a port");
    let file = args.next().expect("a file with the response body");
    let body = web::Bytes::from(std::fs::read(&file)?);
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/fhir+json; charset=utf-8")
                    .body(body)
            }
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
