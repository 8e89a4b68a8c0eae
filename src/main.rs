//! The `descent` program: the command line now, the window when it exists.

fn main() {
    let code = descent::cli::run_cli(
        std::env::args_os(),
        &mut std::io::BufWriter::new(std::io::stdout().lock()),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}
