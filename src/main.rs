//! The `descent` program: the window, or the command line when given a command.

use descent::cli::{Action, run_cli};

fn main() {
    let action = run_cli(
        std::env::args_os(),
        &mut std::io::BufWriter::new(std::io::stdout().lock()),
        &mut std::io::stderr(),
    );
    let code = match action {
        Action::Exit(code) => code,
        Action::Window(request) => descent::app::run_window(request),
    };
    std::process::exit(code);
}
