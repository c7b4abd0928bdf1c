fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mut config = kiln::Config::new();
    config.epoch_interruption(args[3] == "on");
    let engine = kiln::Engine::new(&config)?;
    let bytes = std::fs::read(&args[1])?;
    std::fs::write(&args[2], engine.precompile_module(&bytes)?)?;
    Ok(())
}
