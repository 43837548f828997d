/* fuzz-quic.c: garbage datagrams to a listening QUIC endpoint (rc-quic.c,
 * streams.md 1.4, 4, 9).  The input is delivered twice as one mesh datagram
 * (the second copy reaches the connection the first may have created, by
 * DCID), then split at its first byte into two datagrams; the endpoint's
 * answers are discarded.  Nothing may crash, leak or loop. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "rc-quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
sink_send(gpointer transport, const char *node, const char *service, const guint8 *buf, gsize len,
	  GError **error)
{
	return TRUE;
}

static void
sink_close(gpointer transport)
{
}

static const RcQuicTransportOps sink_ops = {
	.send = sink_send,
	.close = sink_close,
};

static void
drain(void)
{
	/* bounded: timers of half-open connections may stay armed */
	for (guint i = 0; i < 64 && g_main_context_iteration(NULL, FALSE); i++)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcQuicEndpoint) ep =
	    rc_quic_endpoint_new("fuzz", "svc", TRUE, &sink_ops, NULL, NULL, NULL, NULL, &error);

	if (ep == NULL)
		abort();
	rc_quic_endpoint_deliver(ep, "peer", "eph", data, size);
	rc_quic_endpoint_deliver(ep, "peer", "eph", data, size);
	drain();
	if (size > 1) {
		gsize cut = 1 + data[0] % (size - 1);
		rc_quic_endpoint_deliver(ep, "peer", "eph", data, cut);
		rc_quic_endpoint_deliver(ep, "peer", "eph", data + cut, size - cut);
		drain();
	}
	rc_quic_endpoint_unreachable(ep, "peer", "eph", "service unknown");
	rc_quic_endpoint_close(ep);
	drain();
	return 0;
}
