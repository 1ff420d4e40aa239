/// mimalloc instead of glibc's allocator: under load a fifth of the server's time went to
/// glibc's malloc and free (`docs/BENCHMARKS.md`, profile of the answer path), most of it in
/// consolidating and splitting chunks between the runtime's worker threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kundenpuls::cli::main()
}
