//! The `hvremote` binary: all logic lives in the library's `cli` module.
fn main() -> std::process::ExitCode {
    hvremote::cli::main()
}
