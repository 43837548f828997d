/* rc-work-unit.h: one unit of work (the opaque RcWorkUnit of the plugin ABI):
 * its ID, folder, work type, submit parameters and in-memory status, which
 * follows the status file until the unit is complete or cancelled (work.md
 * 2.6).  Owned by the workceptor's unit table; reference counted so that a
 * results stream or a pending cancel can outlive a release. */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"
#include "rc-work-status.h"

typedef struct _RcWorkType RcWorkType;

struct _RcWorkUnit {
	gint ref;
	RcWorkceptor *wc;  /* (not owned) */
	char *id;
	char *dir;         /* <datadir>/<nodeid>/<id>, lexically clean */
	RcWorkType *type;  /* (nullable) NULL: work type not configured (work.md 5.3) */
	GVariant *params;  /* a{sv} of the submit's work parameters (strings) */
	RcWorkStatus *status; /* in-memory copy */
	gboolean follow;   /* re-read the file when asked (FALSE after cancel/complete) */
	gboolean released;
	GPid runner_pid;   /* > 0 while the runner is this daemon's child */
	guint runner_watch;
	GSList *exit_waiters; /* RcWorkUnitWaiter*, called when the runner is reaped */
};

typedef void (*RcWorkUnitExitFunc)(RcWorkUnit *unit, gpointer user_data);

/* (transfer full) */
RcWorkUnit *rc_work_unit_new(RcWorkceptor *wc, const char *id, const char *dir,
			     RcWorkType *type, const char *work_type);
RcWorkUnit *rc_work_unit_ref(RcWorkUnit *unit);
void rc_work_unit_unref(RcWorkUnit *unit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcWorkUnit, rc_work_unit_unref)

/* Refresh the in-memory status from the file when following it (work.md
 * 2.6); stops following once the unit is complete.  (transfer none) */
const RcWorkStatus *rc_work_unit_get_status(RcWorkUnit *unit, GError **error);

/* Basic update (work.md 2.4) of file and memory; failures are logged. */
gboolean rc_work_unit_update_basic(RcWorkUnit *unit, gint64 state, const char *detail,
				   gint64 stdout_size);

/* Call `func` once the runner child of this daemon has been reaped (at once
 * if there is none). */
void rc_work_unit_wait_runner(RcWorkUnit *unit, RcWorkUnitExitFunc func, gpointer user_data);
/* Run and drop the waiters (the workceptor calls this after reaping). */
void rc_work_unit_runner_exited(RcWorkUnit *unit);
