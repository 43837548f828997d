/* rc-dbus.h: the optional, read-only D-Bus status object (STYLE.md 2.2, 3).
 *
 * Bus name io.github.receptorc.Receptor1, object /io/github/receptorc/Receptor1,
 * interface io.github.receptorc.Receptor1.Node (data/dbus/).  Enabled only by
 * the environment variable RECEPTOR_DBUS ("session", "system" or a D-Bus
 * address); a node runs the same without it.  Connecting is asynchronous and
 * a failure is one debug line. */
#pragma once

#include <glib.h>

#include "rc-core.h"

G_BEGIN_DECLS

/* The environment variable that enables the status object. */
#define RC_DBUS_ENV "RECEPTOR_DBUS"
#define RC_DBUS_NAME "io.github.receptorc.Receptor1"
#define RC_DBUS_PATH "/io/github/receptorc/Receptor1"
/* Every property is re-read this often (route changes also refresh at once);
 * advertisements and work units change without a route change. */
#define RC_DBUS_REFRESH_S 5

typedef struct _RcDbus RcDbus;

/* Read RC_DBUS_ENV and, when set, start connecting to that bus.  The object
 * belongs to `core` (freed by rc_core_free through rc_core_add_cleanup).
 * Returns NULL when D-Bus is not enabled or the value is not understood (one
 * warning line).  (transfer none) (nullable) */
RcDbus *rc_dbus_start(RcCore *core);

/* Same with an explicit bus: "session", "system" or an address such as
 * "unix:path=/run/bus".  (transfer none) (nullable) */
RcDbus *rc_dbus_start_for(RcCore *core, const char *bus);

/* Re-read every property from the core now (PropertiesChanged follows for
 * the ones that changed). */
void rc_dbus_refresh(RcDbus *dbus);

/* Is the object exported on a connection? */
gboolean rc_dbus_is_exported(RcDbus *dbus);

/* Unexport, release the name, free.  Accepts NULL. */
void rc_dbus_free(RcDbus *dbus);

G_END_DECLS
