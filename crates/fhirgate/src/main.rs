//! `fhirgate`: the command line. Each subcommand parses its arguments and
//! calls the library; no business logic lives here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fhirgate::settings::{CommonArgs, Settings};
use fhirgate::{open_store, telemetry, Application};

#[derive(Debug, Parser)]
#[command(name = "fhirgate", version, about = "FHIR R4 interoperability gateway")]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (HTTP FHIR API; embedded SQLite when no database is configured).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = Settings::resolve(&cli.common).and_then(|settings| {
        telemetry::init(settings.log_json);
        match cli.command {
            Command::Serve => serve(settings),
            Command::Migrate => migrate(&settings),
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("fhirgate: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(settings)?;
        application.run_until_stopped().await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    open_store(settings)?;
    println!("migrations applied to {}", settings.database_url);
    Ok(ExitCode::SUCCESS)
}
