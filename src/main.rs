fn main() -> std::process::ExitCode {
    fix_mmap_threshold();
    salas::cli::main()
}

/// glibc raises its mmap threshold to the size of the largest block freed (up to 32 MiB). After
/// the first password check (argon2id works in 19 MiB) the next ones then came from the heap of
/// whichever blocking thread ran them and stayed resident once freed: the server idled at
/// 95 MiB after three sign-ins, 153 MiB after six at once. A fixed threshold turns the dynamic
/// one off, so blocks of 4 MiB and more are mapped on their own and given back when freed;
/// pages (the day timeline's is ~200 KB) stay well under it.
fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}
