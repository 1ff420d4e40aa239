fn main() -> std::process::ExitCode {
    kundenpuls::cli::main()
}
