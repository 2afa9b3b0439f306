fn main() -> std::process::ExitCode {
    wktui::cli::main()
}
