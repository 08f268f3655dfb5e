fn main() -> std::process::ExitCode {
    secret_refresh::run()
}
