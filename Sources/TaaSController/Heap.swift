#if canImport(Glibc)
@_silgen_name("malloc_trim") private func mallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt") private func mallopt(_ param: Int32, _ value: Int32) -> Int32
#endif

/// Gives freed memory back to the system. glibc keeps what a large batch allocated and freed
/// (a bulk create's deltas, a start's whole programs) in its arenas, where it counts as resident
/// memory until trimmed; taasd trims once such a batch is over.
public enum Heap {
    /// Fewer malloc arenas than glibc's default (eight per core): taasd's threads allocate
    /// little each, and every arena keeps its own free memory resident. Large blocks (a
    /// program's tables as they grow) are mapped on their own and returned whole when freed:
    /// a fixed threshold, as glibc's own rises after each large free and would put them in the
    /// heap, where they leave holes (55 MB of 600 at 100,000 tap flows).
    public static func configure() {
        #if canImport(Glibc)
        _ = mallopt(-8, 2)  // M_ARENA_MAX
        _ = mallopt(-3, 128 * 1024)  // M_MMAP_THRESHOLD
        #endif
    }

    public static func trim() {
        #if canImport(Glibc)
        _ = mallocTrim(0)
        #endif
    }
}
