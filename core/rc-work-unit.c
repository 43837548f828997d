/* rc-work-unit.c: one unit of work (work.md 2.6, 3). */
#include "config.h"

#include "rc-work-unit.h"

#include "rc-work-statusfile.h"

typedef struct {
	RcWorkUnitExitFunc func;
	gpointer user_data;
} Waiter;

RcWorkUnit *
rc_work_unit_new(RcWorkceptor *wc, const char *id, const char *dir, RcWorkType *type,
		 const char *work_type)
{
	RcWorkUnit *unit = g_new0(RcWorkUnit, 1);
	unit->ref = 1;
	unit->wc = wc;
	unit->id = g_strdup(id);
	unit->dir = g_strdup(dir);
	unit->type = type;
	unit->params = g_variant_ref_sink(g_variant_new("a{sv}", NULL));
	unit->status = rc_work_status_new();
	rc_work_status_set_work_type(unit->status, work_type);
	unit->follow = TRUE;
	return unit;
}

RcWorkUnit *
rc_work_unit_ref(RcWorkUnit *unit)
{
	g_return_val_if_fail(unit != NULL, NULL);
	unit->ref++;
	return unit;
}

void
rc_work_unit_unref(RcWorkUnit *unit)
{
	if (unit == NULL || --unit->ref > 0)
		return;
	if (unit->runner_watch != 0)
		g_source_remove(unit->runner_watch);
	g_slist_free_full(unit->exit_waiters, g_free);
	g_free(unit->id);
	g_free(unit->dir);
	g_clear_pointer(&unit->params, g_variant_unref);
	rc_work_status_free(unit->status);
	g_free(unit);
}

const RcWorkStatus *
rc_work_unit_get_status(RcWorkUnit *unit, GError **error)
{
	if (unit->follow && !unit->released) {
		g_autoptr(RcWorkStatus) copy = rc_work_status_copy(unit->status);
		if (!rc_work_statusfile_load(unit->dir, copy, error))
			return NULL;
		rc_work_status_free(unit->status);
		unit->status = g_steal_pointer(&copy);
		if (rc_work_state_is_complete(unit->status->state))
			unit->follow = FALSE;
	}
	return unit->status;
}

gboolean
rc_work_unit_update_basic(RcWorkUnit *unit, gint64 state, const char *detail, gint64 stdout_size)
{
	g_autoptr(GError) error = NULL;
	if (!rc_work_statusfile_update_basic(unit->dir, unit->status, state, detail, stdout_size,
					     &error)) {
		rc_log_error("Error updating status file for work unit %s: %s", unit->id,
			     error->message);
		return FALSE;
	}
	return TRUE;
}

void
rc_work_unit_wait_runner(RcWorkUnit *unit, RcWorkUnitExitFunc func, gpointer user_data)
{
	if (unit->runner_pid <= 0) {
		func(unit, user_data);
		return;
	}
	Waiter *w = g_new0(Waiter, 1);
	w->func = func;
	w->user_data = user_data;
	unit->exit_waiters = g_slist_append(unit->exit_waiters, w);
}

void
rc_work_unit_runner_exited(RcWorkUnit *unit)
{
	GSList *waiters = g_steal_pointer(&unit->exit_waiters);
	rc_work_unit_ref(unit);
	for (GSList *l = waiters; l != NULL; l = l->next) {
		Waiter *w = l->data;
		w->func(unit, w->user_data);
	}
	g_slist_free_full(waiters, g_free);
	rc_work_unit_unref(unit);
}
