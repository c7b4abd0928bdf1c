//! The `kiln` command: run a module (a WASI command or an export), compile
//! it ahead of time, or run WAST scripts. This file holds the command line
//! (parsed by clap) and the exit statuses; each subcommand has its module.

mod compile;
mod options;
mod run;
mod wast;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// A WebAssembly engine: run modules, compile them ahead of time, run WAST
/// scripts
#[derive(Parser, Debug)]
#[command(name = "kiln", version, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Run(run::RunCommand),
    Compile(compile::CompileCommand),
    Wast(wast::WastCommand),
}

fn main() -> ExitCode {
    // Usage errors exit with status 2, `--help` and `--version` with 0.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(o) => match o.misplaced_flag() {
            Some(flag) => {
                let flag = flag.to_string_lossy();
                usage_error(
                    "run",
                    format!(
                        "unexpected argument '{flag}' found\n\n  \
                         tip: to pass '{flag}' to the program, put it after '--': \
                         kiln run FILE -- {flag}"
                    ),
                )
            }
            None => run::run(o),
        },
        Command::Compile(o) => compile::compile(o),
        Command::Wast(o) => wast::wast(o),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line for plain errors; a trap adds its backtrace lines.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Exit as clap does for a usage error of `subcommand` it cannot detect.
fn usage_error(subcommand: &str, message: String) -> ! {
    let mut cli = Cli::command();
    // Building names the subcommand `kiln SUBCOMMAND` in the usage line.
    cli.build();
    let error = match cli.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(ErrorKind::UnknownArgument, message),
        None => cli.error(ErrorKind::UnknownArgument, message),
    };
    error.exit()
}
