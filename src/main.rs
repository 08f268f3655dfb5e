fn main() -> std::process::ExitCode {
    secret_refresh::commands::crash::install_hook();
    secret_refresh::run(
        std::env::args_os(),
        secret_refresh::Env::from_process(),
        std::io::stdout(),
        std::io::stderr(),
    )
}
