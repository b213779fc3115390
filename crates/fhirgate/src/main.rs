//! `fhirgate`: the command line. Each subcommand parses its arguments and
//! calls the library; no business logic lives here.

use std::process::ExitCode;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use fhirgate::settings::{CommonArgs, Settings};
use fhirgate::{commands, open_store, telemetry, Application};

/// glibc's allocator took about a quarter of the server's CPU under MLLP load (many
/// small JSON values per message, freed on other threads); mimalloc's thread-local
/// heaps avoid most of that. Built with `no_thp` (no `madvise(MADV_HUGEPAGE)` of its
/// own); `main` also opts the process out of transparent huge pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The kernel zeroes a whole 2 MiB page at the first touch of each huge-page
/// region mimalloc maps or maps again after a purge; a validate run touches a
/// few hundred MB once, so that zeroing was up to half of its CPU
/// (docs/benchmarks/fhir-validate.md). mimalloc's `no_thp` feature only stops
/// its own `madvise`; this opts the whole process out, before the work starts.
/// Best effort: on a kernel without the call nothing changes.
fn opt_out_of_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes four integer arguments and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

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
    /// Evaluate a FHIRPath expression over a JSON resource or NDJSON (FILE or stdin).
    Fhirpath {
        expression: String,
        file: Option<PathBuf>,
    },
    /// Validate resources, Bundles or NDJSON; prints an OperationOutcome per resource, exits 1 on any error.
    Validate {
        /// Also validate against this profile (canonical URL); repeatable.
        #[arg(long = "profile", id = "profile")]
        profile: Vec<String>,
        files: Vec<PathBuf>,
    },
    /// Translate HL7 v2 messages (batches split) to FHIR transaction Bundles; unmapped data on
    /// stderr; exits 1 when a message is rejected. FHIR -> HL7 v2 is not yet supported (exit 2).
    Translate {
        #[arg(long, value_enum)]
        from: commands::translate_cmd::Format,
        #[arg(long, value_enum)]
        to: commands::translate_cmd::Format,
        files: Vec<PathBuf>,
    },
    /// Show HL7 v2 messages (batches split) as decoded JSON, or one value with --path.
    V2 {
        /// Terse path such as PID-5.1 or OBX[2]-5.
        #[arg(long)]
        path: Option<String>,
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    opt_out_of_transparent_huge_pages();
    let cli = Cli::parse();
    let result = Settings::resolve(&cli.common).and_then(|settings| {
        telemetry::init(settings.log_json);
        match cli.command {
            Command::Serve => serve(settings),
            Command::Migrate => migrate(&settings),
            Command::Fhirpath { expression, file } => exit_code(commands::fhirpath_cmd::run(
                &expression,
                file.as_deref(),
                &settings.profiles,
                &mut std::io::stdout().lock(),
            )),
            Command::Validate { profile, files } => exit_code(commands::validate::run(
                &settings.profiles,
                &settings.enforced_profiles,
                &profile,
                &files,
                &mut std::io::stdout().lock(),
            )),
            Command::Translate { from, to, files } => commands::translate_cmd::run(
                from,
                to,
                &files,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            ),
            Command::V2 { path, files } => exit_code(commands::v2::run(
                path.as_deref(),
                &files,
                &mut std::io::stdout().lock(),
            )),
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

/// Tools exit 1 when any input had an error.
fn exit_code(result: anyhow::Result<bool>) -> anyhow::Result<ExitCode> {
    result.map(|all_ok| {
        if all_ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    })
}
