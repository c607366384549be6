package org.blvm.loader;

import java.nio.file.Path;

/** Sealed tunables of one {@link ModuleManager}, validated by its builder. */
record LoaderConfig(
    Path modulesDir,
    Path runtimeDir,
    Path dataDir,
    long helloTimeoutMs,
    long stopGraceMs,
    long callTimeoutMs,
    int eventQueueFrames,
    long eventQueueBytes,
    long writerLingerNanos,
    int maxPendingInvokes,
    int maxModules,
    Path javaExecutable,
    LaunchDefaults launchDefaults,
    Path auditLog,
    int maxBadConnectionsPerMinute,
    long dataUsageIntervalMs,
    int dataUsageBudget,
    Interpreters interpreters) {}
