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
        Action::Window(request) => open_window(*request),
    };
    std::process::exit(code);
}

#[cfg(feature = "app")]
fn open_window(request: descent::cli::WindowRequest) -> i32 {
    descent::app::run_window(request)
}

#[cfg(not(feature = "app"))]
fn open_window(_request: descent::cli::WindowRequest) -> i32 {
    eprintln!(
        "error: this descent was built without the window (cargo's --no-default-features); \
         use a command such as `descent run`, or see `descent --help`"
    );
    descent::cli::EXIT_USAGE
}
