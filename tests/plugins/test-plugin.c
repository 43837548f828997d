/* test-plugin.c: test-only plugins proving the loader rules.  Built twice
 * (TEST_PLUGIN_ALPHA / TEST_PLUGIN_BETA) into test-alpha.so and test-beta.so;
 * TEST_PLUGIN_FUTURE builds test-future.so claiming plugin ABI 2.0. */
#include <receptor/receptor-plugin.h>

typedef struct {
	char *message;
	RcEntity *entity;
} TestData;

static const RcParamDesc test_params[] = {
    {"message", RC_PARAM_STRING, RC_PARAM_BARE, "hello", "What to say when started"},
    {"count", RC_PARAM_INT, 0, "1", "How many times to say it"},
    {NULL}};

static gboolean
test_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
	    GError **error)
{
	TestData *d = g_new0(TestData, 1);
	if (!g_variant_lookup(params, "message", "s", &d->message))
		d->message = g_strdup("");
	d->entity = entity;
	*data = d;
	return TRUE;
}

static gboolean
test_start(gpointer data, GError **error)
{
	TestData *d = data;
	rc_log_info("%s says %s", TEST_ENTITY, d->message);
	return TRUE;
}

static void
test_free(gpointer data)
{
	TestData *d = data;
	g_free(d->message);
	g_free(d);
}

static const RcEntityOps test_ops = {
    .struct_size = sizeof(RcEntityOps),
    .create = test_create,
    .start = test_start,
    .free = test_free,
};

static const RcEntityDesc test_entity = {
    .struct_size = sizeof(RcEntityDesc),
    .name = TEST_ENTITY,
    .kind = RC_ENTITY_SERVICE,
    .description = "A test-only entity that logs a message",
    .params = test_params,
    .ops = &test_ops,
};

#ifdef TEST_PLUGIN_FUTURE
/* A plugin built for a future ABI: the loader must refuse it, naming both versions. */
static const RcEntityDesc *const future_entities[] = {&test_entity, NULL};
static const RcPluginDesc future_desc = {
    .abi_major = 2,
    .abi_minor = 0,
    .struct_size = sizeof(RcPluginDesc),
    .name = "test-future",
    .version = "0",
    .description = "claims ABI 2.0",
    .entities = future_entities,
};
RC_PLUGIN_EXPORT const RcPluginDesc *rc_plugin_test_future_describe(void);
RC_PLUGIN_EXPORT const RcPluginDesc *
rc_plugin_test_future_describe(void)
{
	return &future_desc;
}
#else
RC_PLUGIN_DEFINE(TEST_SYMBOL, TEST_NAME, "0", "A test-only plugin", NULL, &test_entity)
#endif
