/* cmd-worker.h: one work-command instance (config.md 9.6, work.md 4). */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean cmd_worker_create(const RcHost *host, RcEntity *entity, GVariant *params,
			   gpointer *data, GError **error);
gboolean cmd_worker_start(gpointer data, GError **error);
void cmd_worker_free(gpointer data);
