use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde_json::json;

use ehds_gateway::audit;
use ehds_gateway::auth::dev_issuer::DevIssuer;
use ehds_gateway::config::{Profile, Settings};
use ehds_gateway::portal::embedded::EmbeddedSource;
use ehds_gateway::startup::Application;
use ehds_gateway::store::Store;
use ehds_gateway::telemetry;

/// A FHIR R4 gateway in front of the Nordic national health portals.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the FHIR API (the default when no command is given).
    Serve {
        /// TOML file merged over the embedded defaults.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print an access token from the dev issuer (dev profile only), for trying the API.
    DevToken {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Patient context: a Patient id such as `no.p-no-001`.
        #[arg(long)]
        patient: Option<String>,
        /// SMART scopes.
        #[arg(long, default_value = "patient/*.rs")]
        scope: String,
        /// The token's subject.
        #[arg(long, default_value = "dev-user")]
        subject: String,
        /// Lifetime in seconds; the dev issuer's tokens are accepted up to an hour.
        #[arg(long, default_value_t = 3600)]
        lifetime: i64,
    },
    /// The access log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain of the access log; exit 0 if intact, 1 naming the first broken
    /// record otherwise.
    Verify {
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve { config: None }) {
        Command::Serve { config } => {
            let settings = Settings::load(config.as_deref())?;
            telemetry::init_tracing(&settings.telemetry);
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::DevToken {
            config,
            patient,
            scope,
            subject,
            lifetime,
        } => {
            let settings = Settings::load(config.as_deref())?;
            if settings.profile == Profile::Production || !settings.auth.dev_issuer.enabled {
                anyhow::bail!("the dev issuer is not enabled in this configuration");
            }
            let longest = ehds_gateway::auth::verifier::default_max_lifetime() as i64;
            if !(1..=longest).contains(&lifetime) {
                anyhow::bail!(
                    "--lifetime must be 1..={longest} seconds: the gateway refuses longer-lived tokens"
                );
            }
            let base_url = settings.public_base_url(settings.server.port);
            let issuer =
                DevIssuer::load_or_create(settings.auth.dev_issuer.key_file.as_ref(), &base_url)?;
            // A citizen's token names the person (the national identifier) beside the patient
            // context: the gateway refuses a patient-scoped token that names no user.
            let extra = match patient {
                Some(p) => {
                    let id = EmbeddedSource::national_id_of(&p).ok_or_else(|| {
                        anyhow::anyhow!("--patient {p} names nobody in the embedded data set")
                    })?;
                    // As after an eID login of high assurance (R1).
                    json!({ "patient": p, "pid": id.value(),
                            "acr": "http://eidas.europa.eu/LoA/high" })
                }
                None => json!({}),
            };
            println!("{}", issuer.mint(&subject, &scope, lifetime, extra));
        }
        Command::Audit {
            command: AuditCommand::Verify { config },
        } => {
            let settings = Settings::load(config.as_deref())?;
            let store = Store::open(&settings.database).await?;
            let verification = audit::verify(&store.audit()).await?;
            match verification.broken {
                None => println!(
                    "access log intact: {} records verified",
                    verification.checked
                ),
                Some(broken) => {
                    eprintln!(
                        "access log broken at {broken} ({} records before it verified)",
                        verification.checked
                    );
                    std::process::exit(1);
                }
            }
        }
    }
    Ok(())
}
