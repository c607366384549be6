/** Placeholder owned by the trust issue: the blvm-sign command line tool. */
package org.blvm.sign;
