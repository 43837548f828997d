/* fuzz-link.c: the link layer (rc-link.c) and the Netceptor handlers behind
 * it (rc-netceptor.c) fed with arbitrary messages from a peer.
 * Input: messages framed as on TCP (2-byte little-endian length, wire.md
 * 9.4), delivered one by one to a link of a node "fuzz" over an in-memory
 * message backend; the main context runs after each message. */
#include <stdint.h>
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-core.h"
#include "rc-entity.h"
#include "rc-link.h"
#include "rc-netceptor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const RcParamDesc fuzz_params[] = {
	{ "cost", RC_PARAM_FLOAT, 0, "1.0", NULL },
	{ 0 },
};

static const RcEntityDesc fuzz_desc = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "fuzz-link",
	.kind = RC_ENTITY_BACKEND,
	.params = fuzz_params,
};

typedef struct {
	gboolean closed;
	gboolean ended;
	gsize sent;
} FuzzEnd;

static guint32
fuzz_send(gpointer link_data, GBytes *message)
{
	FuzzEnd *end = link_data;

	end->sent += g_bytes_get_size(message);
	return RC_LINK_SEND_OK;
}

static void
fuzz_close(gpointer link_data)
{
	((FuzzEnd *)link_data)->closed = TRUE;
}

static void
fuzz_ended(gpointer user_data, const GError *reason)
{
	((FuzzEnd *)user_data)->ended = TRUE;
}

static const RcLinkOps fuzz_ops = {
	.struct_size = sizeof(RcLinkOps),
	.send = fuzz_send,
	.close = fuzz_close,
};

static GLogWriterOutput
quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
	return G_LOG_WRITER_HANDLED;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RcCore core = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) params = g_variant_ref_sink(g_variant_new_parsed("@a{sv} {}"));
	RcEntity *entity;
	FuzzEnd end = { 0 };
	RcLink *link;
	gsize off = 0;
	static gboolean quiet;

	if (!quiet) {
		g_log_set_writer_func(quiet_writer, NULL, NULL);
		quiet = TRUE;
	}
	core.node_id = g_strdup("fuzz");
	core.netceptor = rc_netceptor_new(&core, &error);
	g_assert_no_error(error);
	entity = rc_entity_new(&core, &fuzz_desc, NULL, "fuzz", params);
	link = rc_link_open(entity, &fuzz_ops, &end, "fuzzer", fuzz_ended, &end, &error);
	g_assert_no_error(error);
	while (size - off >= 2 && !end.closed) {
		gsize len = (gsize)data[off] | ((gsize)data[off + 1] << 8);
		g_autoptr(GBytes) msg = NULL;

		off += 2;
		if (len > size - off)
			len = size - off;
		msg = g_bytes_new(data + off, len);
		off += len;
		rc_link_received(link, msg);
		while (g_main_context_iteration(NULL, FALSE))
			;
	}
	rc_netceptor_shutdown(core.netceptor);
	while (!end.ended)
		g_main_context_iteration(NULL, TRUE);
	while (g_main_context_iteration(NULL, FALSE))
		;
	rc_entity_free(entity);
	g_clear_pointer(&core.netceptor, rc_netceptor_free);
	g_free(core.node_id);
	return 0;
}
