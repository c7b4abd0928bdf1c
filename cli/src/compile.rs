//! `kiln compile`: compile a module ahead of time into a Kiln artifact.

use crate::options::EngineOptions;
use anyhow::{Context, Result};
use clap::Args;
use kiln::Engine;
use std::path::PathBuf;
use std::process::ExitCode;

/// Compile a module ahead of time into a Kiln artifact
///
/// Compile FILE into a Kiln artifact (an ELF object) that `kiln run
/// --allow-precompiled` loads without compiling, given the same wasm
/// features and bounds checks (it has no fuel metering, so `kiln run
/// --fuel` refuses it). An artifact is trusted
/// native code: its machine code runs as it is, outside the wasm sandbox,
/// and nothing can check it. Run only artifacts you made yourself; a
/// damaged one is refused (it carries a checksum), a forged one is not.
#[derive(Args, Debug)]
pub struct CompileCommand {
    #[command(flatten)]
    engine: EngineOptions,

    /// The module: FILE.wasm or FILE.wat
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Where to write the artifact
    #[arg(short = 'o', long = "output", value_name = "OUT.kwasm")]
    output: PathBuf,
}

pub fn compile(o: CompileCommand) -> Result<ExitCode> {
    let (input, output) = (o.file.display(), o.output.display());
    let bytes = std::fs::read(&o.file).with_context(|| format!("cannot read `{input}`"))?;
    let artifact = Engine::new(&o.engine.config()?)?
        .precompile_module(&bytes)
        .with_context(|| format!("`{input}` is not a valid module"))?;
    std::fs::write(&o.output, artifact).with_context(|| format!("cannot write `{output}`"))?;
    Ok(ExitCode::SUCCESS)
}
