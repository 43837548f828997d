/* rc-startup.h: the daemon's start-up, run and shutdown (config.md 2, 6). */
#pragma once

#include "rc-core.h"

/* The whole program: parse, load, create, start, run the loop, stop.
 * Returns the process exit code. */
int rc_startup_main(int argc, char **argv);

/* Turn config items into entities of `core`: load their plugins (only those
 * named), create each (node and log-level first: Receptor's Init phase).
 * Entities are appended to `out`.  FALSE with the "Error: " text in error. */
gboolean rc_startup_create_entities(RcCore *core, GPtrArray *items, GPtrArray *out,
				    GError **error);
/* Start entities (by kind: global, resources, backends, services, workers;
 * configuration order within a kind). */
gboolean rc_startup_start_entities(RcCore *core, GPtrArray *entities, GError **error);
/* Stop entities in reverse start order. */
void rc_startup_stop_entities(RcCore *core, GPtrArray *entities);
