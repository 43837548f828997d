/* rc-work-statusfile.h: reading and writing a unit's `status` file under the
 * exclusive flock of `status.lock` (work.md 2.4), shared by the daemon and the
 * command runner.  Writes replace the file atomically
 * (g_file_set_contents_full CONSISTENT, mode 0600); see docs/differences.md. */
#pragma once

#include <glib.h>

#include "rc-work-status.h"

/* Go's errno text: strerror() with the first letter lowered when the second
 * is lower case (work.md 3.3, 8). (transfer none) */
const char *rc_work_errno_text(int errnum, char *buf, gsize size);

/* Read `<dir>/status` under the lock into `status` (fields in the file
 * overwrite the record).  Errors: "open <dir>/status: no such file or
 * directory", parse errors. */
gboolean rc_work_statusfile_load(const char *dir, RcWorkStatus *status, GError **error);

/* Full save (work.md 2.4): write `status` as is, under the lock. */
gboolean rc_work_statusfile_save(const char *dir, const RcWorkStatus *status, GError **error);

typedef void (*RcWorkStatusEditFunc)(RcWorkStatus *status, gpointer user_data);

/* Read-modify-write under the lock (work.md 2.4): a non-empty file is parsed
 * into `status` first (a file that does not parse fails the update and
 * nothing is written), then `edit` runs, then the file is written. */
gboolean rc_work_statusfile_update(const char *dir, RcWorkStatus *status,
				   RcWorkStatusEditFunc edit, gpointer user_data, GError **error);

/* Basic update: State, Detail and StdoutSize unless `stdout_size` is -1. */
gboolean rc_work_statusfile_update_basic(const char *dir, RcWorkStatus *status, gint64 state,
					 const char *detail, gint64 stdout_size, GError **error);

/* Size of `<dir>/stdout`, 0 when absent. */
gint64 rc_work_statusfile_stdout_size(const char *dir);
