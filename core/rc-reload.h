/* rc-reload.h: the control service's `reload` (control.md 3.4, config.md 15). */
#pragma once

#include <glib.h>

#include "rc-core.h"

/* Re-read core->reload_file and restart the reloadable backends
 * (tcp-peer, tcp-listener, ws-peer, ws-listener, udp-peer, udp-listener,
 * local-only).  Non-reloadable items of that file must equal those of the
 * configuration in force (core->config, items whose origin is that file).
 * On failure the message is the reply text without " ERRORCODE n"; the error
 * code is RC_ERROR_CONFIG for ERRORCODE 3 (a non-reloadable item changed) and
 * RC_ERROR_FAILED for ERRORCODE 4 (no file, parse or start failure).  Runs
 * synchronously on the main loop. */
gboolean rc_startup_reload(RcCore *core, GError **error);

/* Does a reload restart this entity (by name, control.md 3.4)? */
gboolean rc_reload_is_reloadable(const char *entity_name);
