/* cmd-plugin.c: descriptors of the work-command plugin (config.md 9.6). */
#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "cmd-worker.h"

static const RcParamDesc work_command_params[] = {
	{ "worktype", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Name for this worker type" },
	{ "command", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Command to run to process units of work" },
	{ "params", RC_PARAM_STRING, 0, NULL, "Command-line parameters" },
	{ "allowruntimeparams", RC_PARAM_BOOL, 0, "false",
	  "Allow users to add more parameters" },
	{ "verifysignature", RC_PARAM_BOOL, 0, "false", "Verify a signed work submission" },
	{ 0 },
};

static const RcEntityOps work_command_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = cmd_worker_create,
	.start = cmd_worker_start,
	.free = cmd_worker_free,
};

static const RcEntityDesc work_command_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "work-command",
	.kind = RC_ENTITY_WORKER,
	.description = "Run a worker using an external command",
	.params = work_command_params,
	.ops = &work_command_ops,
};

RC_PLUGIN_DEFINE(work_command, "work-command", "1.0", "Command work type", NULL,
		 &work_command_entity)
