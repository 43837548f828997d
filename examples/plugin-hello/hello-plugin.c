/* hello-plugin.c: a complete third-party receptor-c plugin.
 *
 * It provides one entity, `hello`, that logs a greeting when the node starts
 * and every `interval` afterwards.  It includes only the public plugin header
 * and GLib, and builds with `pkg-config --cflags --libs receptor-plugin`. */
#include <receptor/receptor-plugin.h>

typedef struct {
	char *greeting;
	gint64 interval_us;
	guint timer;
	const RcHost *host;
	RcEntity *entity;
} Hello;

static const RcParamDesc hello_params[] = {
    {"greeting", RC_PARAM_STRING, RC_PARAM_BARE, "hello, mesh", "What to log"},
    {"interval", RC_PARAM_DURATION, 0, "0s", "Repeat every so often (0s: once)"},
    {NULL}};

static gboolean
hello_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
	     GError **error)
{
	Hello *h = g_new0(Hello, 1);
	h->host = host;
	h->entity = entity;
	if (!g_variant_lookup(params, "greeting", "s", &h->greeting))
		h->greeting = g_strdup("hello, mesh");
	g_variant_lookup(params, "interval", "x", &h->interval_us);
	if (h->interval_us < 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "interval must not be negative");
		g_free(h->greeting);
		g_free(h);
		return FALSE;
	}
	*data = h;
	return TRUE;
}

static gboolean
hello_tick(gpointer data)
{
	Hello *h = data;
	rc_log_info("hello from node %s: %s", h->host->node_id(h->entity), h->greeting);
	return G_SOURCE_CONTINUE;
}

static gboolean
hello_start(gpointer data, GError **error)
{
	Hello *h = data;
	hello_tick(h);
	if (h->interval_us > 0)
		h->timer = g_timeout_add((guint)(h->interval_us / 1000), hello_tick, h);
	return TRUE;
}

static void
hello_stop(gpointer data)
{
	Hello *h = data;
	if (h->timer != 0)
		g_source_remove(h->timer);
	h->timer = 0;
}

static void
hello_free(gpointer data)
{
	Hello *h = data;
	g_free(h->greeting);
	g_free(h);
}

static const RcEntityOps hello_ops = {
    .struct_size = sizeof(RcEntityOps),
    .create = hello_create,
    .start = hello_start,
    .stop = hello_stop,
    .free = hello_free,
};

static const RcEntityDesc hello_entity = {
    .struct_size = sizeof(RcEntityDesc),
    .name = "hello",
    .kind = RC_ENTITY_SERVICE,
    .description = "Log a greeting (example plugin)",
    .params = hello_params,
    .ops = &hello_ops,
};

RC_PLUGIN_DEFINE(hello, "hello", "1.0", "Example third-party plugin", NULL, &hello_entity)
