package org.blvm.loader;

/**
 * How much of its data directory's limits a running module uses, as the loader last measured it
 * ({@link ModuleManager#dataUsage}).
 *
 * @param bytes allocated bytes of everything in the directory, as of the last complete walk (before
 *     the first walk completes: what it counted so far)
 * @param entries files, directories, links and the rest in it, counted the same way
 * @param deletedBytes allocated bytes of deleted files the module's processes still hold open (the
 *     last count); they take disk space no walk sees and count toward {@code data_mb}
 * @param limitBytes {@code data_mb} in bytes
 * @param limitEntries {@code data_files}
 * @param walks complete walks of the directory since the module was launched
 */
public record DataUsage(
    long bytes, long entries, long deletedBytes, long limitBytes, long limitEntries, long walks) {}
