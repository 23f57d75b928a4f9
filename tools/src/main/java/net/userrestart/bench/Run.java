// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

/**
 * One timed run of one way, in seconds; toolCpu and rssMb only for ours (0 for theirs). Verified:
 * every user's unit was restarted.
 */
record Run(double wall, double managerCpu, double sandboxCpu, double toolCpu, double rssMb, boolean verified) {}
