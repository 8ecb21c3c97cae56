fn main() -> std::process::ExitCode {
    allocator::fix_mmap_threshold();
    allocator::trim_in_background();
    salas::cli::main()
}

/// glibc's allocator, tuned so that memory a burst of work used goes back to the system.
mod allocator {
    /// glibc raises its mmap threshold to the size of the largest block freed (up to 32 MiB).
    /// After the first password check (argon2id works in 19 MiB) the next ones then came from the
    /// heap of whichever blocking thread ran them and stayed resident once freed: the server
    /// idled at 95 MiB after three sign-ins, 153 MiB after six at once. A fixed threshold turns
    /// the dynamic one off, so blocks of 4 MiB and more are mapped on their own and given back
    /// when freed; pages (the day timeline's is ~200 KB) stay well under it.
    pub fn fix_mmap_threshold() {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only sets a parameter of the allocator, before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        }
    }

    /// Between the blocks in use, glibc keeps the free ones resident: each thread allocates from
    /// its own arena, and an arena gives memory back only from its top. After creating two rooms
    /// and signing in the server idled at 52.5 MiB, of which 14 MiB were such free blocks
    /// (`malloc_trim` brought it to 38.5 MiB). A thread hands them back every few seconds. A pass
    /// holds each arena's lock while it returns that arena's pages (1-11 ms of `madvise` in all
    /// under booking load, by strace); alternated runs showed no cost in throughput or p99
    /// (docs/performance.md).
    pub fn trim_in_background() {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            let trim = || loop {
                std::thread::sleep(std::time::Duration::from_secs(5));
                // SAFETY: malloc_trim takes each arena's lock like any allocation does.
                unsafe {
                    libc::malloc_trim(0);
                }
            };
            // Without the thread memory stays as it was: nothing else depends on it.
            let _ = std::thread::Builder::new().name("salas-trim".into()).stack_size(64 << 10).spawn(trim);
        }
    }
}
