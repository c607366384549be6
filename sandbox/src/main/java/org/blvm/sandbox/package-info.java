/**
 * Confinement of module processes: bubblewrap namespaces, seccomp profiles compiled to BPF with
 * libseccomp, and race-free resource limits. Knows nothing of modules or the protocol. Entry point:
 * {@link org.blvm.sandbox.Sandboxes}.
 */
package org.blvm.sandbox;
