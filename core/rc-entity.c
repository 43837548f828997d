/* rc-entity.c: one configured entity instance. */
#include "config.h"

#include "rc-entity.h"

RcEntity *
rc_entity_new(RcCore *core, const RcEntityDesc *desc, const char *plugin, const char *origin,
	      GVariant *params)
{
	RcEntity *e = g_new0(RcEntity, 1);
	e->core = core;
	e->desc = desc;
	e->plugin = g_strdup(plugin);
	e->origin = g_strdup(origin);
	e->params = params ? g_variant_ref_sink(params)
			   : g_variant_ref_sink(g_variant_new("a{sv}", NULL));
	return e;
}

void
rc_entity_free(RcEntity *e)
{
	if (e == NULL)
		return;
	if (e->desc && e->desc->ops && e->desc->ops->free && e->data)
		e->desc->ops->free(e->data);
	g_free(e->plugin);
	g_free(e->origin);
	g_clear_pointer(&e->params, g_variant_unref);
	g_free(e);
}

GVariant *
rc_entity_get_value(RcEntity *e, const char *name)
{
	return g_variant_lookup_value(e->params, name, NULL);
}

const char *
rc_entity_get_string(RcEntity *e, const char *name, const char *fallback)
{
	const char *s = NULL;
	if (g_variant_lookup(e->params, name, "&s", &s))
		return s;
	return fallback;
}

gint64
rc_entity_get_int(RcEntity *e, const char *name, gint64 fallback)
{
	gint64 v;
	if (g_variant_lookup(e->params, name, "x", &v))
		return v;
	return fallback;
}

double
rc_entity_get_float(RcEntity *e, const char *name, double fallback)
{
	double v;
	if (g_variant_lookup(e->params, name, "d", &v))
		return v;
	return fallback;
}

gboolean
rc_entity_get_bool(RcEntity *e, const char *name, gboolean fallback)
{
	gboolean v;
	if (g_variant_lookup(e->params, name, "b", &v))
		return v;
	return fallback;
}
