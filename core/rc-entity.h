/* rc-entity.h: one configured instance of an entity (the opaque RcEntity of the ABI). */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"

struct _RcEntity {
	RcCore *core;
	const RcEntityDesc *desc; /* the loaded plugin's or the core's descriptor */
	char *plugin;             /* nullable: providing plugin, NULL for core entities */
	char *origin;             /* "file:line:col" or "--tcp-peer" */
	GVariant *params;         /* a{sv}, defaults filled in */
	gpointer data;            /* what ops->create stored */
	gboolean created;
	gboolean started;
};

/* (transfer full) */
RcEntity *rc_entity_new(RcCore *core, const RcEntityDesc *desc, const char *plugin,
			const char *origin, GVariant *params);
void rc_entity_free(RcEntity *entity);

/* Parameter accessors: (transfer none) / value, or the fallback when absent. */
const char *rc_entity_get_string(RcEntity *entity, const char *name, const char *fallback);
gint64 rc_entity_get_int(RcEntity *entity, const char *name, gint64 fallback);
double rc_entity_get_float(RcEntity *entity, const char *name, double fallback);
gboolean rc_entity_get_bool(RcEntity *entity, const char *name, gboolean fallback);
/* (transfer full) (nullable): the raw GVariant of a parameter */
GVariant *rc_entity_get_value(RcEntity *entity, const char *name);
