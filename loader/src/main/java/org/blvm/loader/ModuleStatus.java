package org.blvm.loader;

import java.util.OptionalLong;

/**
 * A snapshot of one module for the node's status views.
 *
 * @param name the module id (its directory and manifest name)
 * @param version its manifest version, or null when the manifest was refused
 * @param state where it is in its life
 * @param pid the host pid of its process, if one was launched
 * @param detail why it FAILED or STOPPED, or null
 */
public record ModuleStatus(
    String name, String version, ModuleState state, OptionalLong pid, String detail) {}
