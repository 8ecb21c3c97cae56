// mimalloc instead of glibc's allocator: the write path allocates and frees many small buffers
// (JSON, redb pages) across threads, and glibc's malloc/free took a fifth of its CPU
// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    salas::cli::main()
}
