/* cmd-worker.c: the work-command work type (work.md 4). */
#include "cmd-worker.h"

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *worktype;
	char *command;
} CmdWorker;

static gboolean
cmd_unit_start(gpointer type_data, RcWorkUnit *unit, GError **error)
{
	CmdWorker *w = type_data;
	if (!RC_HOST_HAS(w->host, work_unit_launch_runner)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_UNSUPPORTED,
				    "this receptor cannot launch command runners");
		return FALSE;
	}
	return w->host->work_unit_launch_runner(unit, w->command, error);
}

static gboolean
cmd_unit_restart(gpointer type_data, RcWorkUnit *unit, GError **error)
{
	/* the core applies work.md 5.3 (Pending at restart) and follows the
	 * status file the runner keeps writing */
	return TRUE;
}

static const RcWorkTypeOps cmd_ops = {
	.struct_size = sizeof(RcWorkTypeOps),
	.unit_start = cmd_unit_start,
	.unit_restart = cmd_unit_restart,
};

gboolean
cmd_worker_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		  GError **error)
{
	CmdWorker *w = g_new0(CmdWorker, 1);
	const char *s = NULL;

	w->host = host;
	w->entity = entity;
	if (g_variant_lookup(params, "worktype", "&s", &s))
		w->worktype = g_strdup(s);
	if (g_variant_lookup(params, "command", "&s", &s))
		w->command = g_strdup(s);
	if (w->worktype == NULL || w->command == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "work-command needs worktype and command");
		cmd_worker_free(w);
		return FALSE;
	}
	*data = w;
	return TRUE;
}

gboolean
cmd_worker_start(gpointer data, GError **error)
{
	CmdWorker *w = data;
	if (!RC_HOST_HAS(w->host, work_type_register)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_UNSUPPORTED,
				    "this receptor has no work types");
		return FALSE;
	}
	return w->host->work_type_register(w->entity, w->worktype, &cmd_ops, w, error);
}

void
cmd_worker_free(gpointer data)
{
	CmdWorker *w = data;
	if (w == NULL)
		return;
	g_free(w->worktype);
	g_free(w->command);
	g_free(w);
}
