/*
 * rollback.h - undo every change an incident's actor made (and undo that).
 *
 * Owns: turning an incident's journal events into safe inverse steps, the
 * rollback_items record of each step, and --undo.  Does not own: choosing
 * what an incident is (judge/) or signalling processes (contain/).
 */
#ifndef VIGIL_ROLLBACK_H
#define VIGIL_ROLLBACK_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

/* Returns an exit status: 0 done, 1 some step failed or wrong state,
 * 2 no such incident.  dry: say what would be done, touch nothing. */
int rollback_run(sqlite3 *db, uint64_t incident, int dry, int undo,
    int json, FILE *out);

#endif
