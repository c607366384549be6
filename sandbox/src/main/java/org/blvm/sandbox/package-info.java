/**
 * Placeholder owned by the sandbox issue: bubblewrap launcher, seccomp compiler and rlimits. Until
 * it lands the loader starts modules as plain child processes (see {@code ModuleLauncher} in
 * loader).
 */
package org.blvm.sandbox;
