fn main() -> std::process::ExitCode {
    salas::cli::main()
}
