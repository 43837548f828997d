/* rc-work-control.h: the control command `work` (control.md 3.6,
 * remote-work.md 2.1 for local units): submit, list, status, results,
 * cancel, release, force-release. */
#pragma once

#include <glib.h>

#include "rc-core.h"

/* Results streaming: poll intervals and read chunk (work.md 6.1, 7). */
#define RC_WORK_RESULTS_WAIT_STDOUT_MS 500
#define RC_WORK_RESULTS_FOLLOW_MS 250
#define RC_WORK_RESULTS_CHUNK 65536
/* The stream ends when stdout has been missing this long (> 3 checks 1 s apart). */
#define RC_WORK_RESULTS_MISSING_US (G_GINT64_CONSTANT(4) * G_USEC_PER_SEC)

/* Register `work` with the node's control module. */
gboolean rc_work_control_register(RcWorkceptor *wc, GError **error);
