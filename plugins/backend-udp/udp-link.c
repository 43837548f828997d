/* udp-link.c: one UDP session as a core message link (wire.md 9.5). */
#include "udp-link.h"

#include "udp-common.h"

UdpLink *
udp_link_new(const RcHost *host, GSocket *socket, GSocketAddress *remote, const char *key,
	     UdpLinkDetachFunc detach, gpointer owner)
{
	UdpLink *link = g_new0(UdpLink, 1);

	link->refs = 2;
	link->host = host;
	link->socket = g_object_ref(socket);
	link->remote = remote != NULL ? g_object_ref(remote) : NULL;
	link->key = g_strdup(key);
	link->detach = detach;
	link->owner = owner;
	return link;
}

UdpLink *
udp_link_ref(UdpLink *link)
{
	link->refs++;
	return link;
}

static void
udp_link_stop_writable(UdpLink *link)
{
	if (link->writable != NULL) {
		g_source_destroy(link->writable);
		g_clear_pointer(&link->writable, g_source_unref);
	}
}

void
udp_link_unref(UdpLink *link)
{
	if (link == NULL || --link->refs > 0)
		return;
	udp_link_stop_writable(link);
	g_clear_object(&link->socket);
	g_clear_object(&link->remote);
	g_free(link->key);
	g_free(link);
}

static void
udp_link_detach(UdpLink *link)
{
	UdpLinkDetachFunc detach = link->detach;

	link->done = TRUE;
	link->detach = NULL;
	udp_link_stop_writable(link);
	if (detach != NULL)
		detach(link->owner, link);
}

static gboolean
udp_link_writable_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	UdpLink *link = user_data;

	g_clear_pointer(&link->writable, g_source_unref);
	if (!link->done && link->link != NULL)
		link->host->link_writable(link->link);
	return G_SOURCE_REMOVE;
}

static guint32
udp_link_send(gpointer link_data, GBytes *message)
{
	UdpLink *link = link_data;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(message, &len);
	UdpDatagramVerdict verdict;
	g_autoptr(GError) error = NULL;
	gssize n;

	if (link->done)
		return RC_LINK_SEND_ERROR;
	if (link->writable != NULL)
		return RC_LINK_SEND_FULL;
	verdict = udp_datagram_check_send(len);
	if (verdict != UDP_DATAGRAM_OK) {
		/* wire.md 4: Go tears the link down on "data too large"; dropping
		 * the one message is kinder and invisible to the peer. */
		rc_log_error("UDP link %s: not sending a %" G_GSIZE_FORMAT
			     "-byte message (%s, limit %d bytes), dropped",
			     link->key, len, udp_datagram_verdict_text(verdict),
			     UDP_MAX_PACKET_LEN);
		return RC_LINK_SEND_OK;
	}
	if (link->remote != NULL)
		n = g_socket_send_to(link->socket, link->remote, (const char *)data, len, NULL,
				     &error);
	else
		n = g_socket_send(link->socket, (const char *)data, len, NULL, &error);
	if (n < 0) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ||
		    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
			link->writable = g_socket_create_source(link->socket, G_IO_OUT, NULL);
			g_source_set_callback(link->writable, G_SOURCE_FUNC(udp_link_writable_cb),
					      link, NULL);
			g_source_attach(link->writable, NULL);
			return RC_LINK_SEND_FULL;
		}
		rc_log_debug("UDP link %s: send failed: %s", link->key, error->message);
		return RC_LINK_SEND_ERROR;
	}
	if ((gsize)n != len) {
		rc_log_debug("UDP link %s: partial data sent", link->key);
		return RC_LINK_SEND_ERROR;
	}
	link->sent_datagrams++;
	return RC_LINK_SEND_OK;
}

static void
udp_link_close(gpointer link_data)
{
	UdpLink *link = link_data;

	link->link = NULL;
	if (!link->done)
		udp_link_detach(link);
	udp_link_unref(link);
}

const RcLinkOps udp_link_ops = {
	.struct_size = sizeof(RcLinkOps),
	.send = udp_link_send,
	.close = udp_link_close,
};

gboolean
udp_link_open(UdpLink *link, RcEntity *entity, RcLinkEndedFunc ended, gpointer ended_data,
	      GError **error)
{
	RcLink *rc_link;

	rc_link = link->host->link_open(entity, &udp_link_ops, link, link->key, ended, ended_data,
					error);
	if (rc_link == NULL) {
		link->done = TRUE;
		link->detach = NULL;
		udp_link_unref(link); /* the core's */
		udp_link_unref(link); /* the ended callback's */
		return FALSE;
	}
	if (!link->done)
		link->link = rc_link;
	return TRUE;
}

void
udp_link_deliver(UdpLink *link, const guint8 *data, gsize len)
{
	g_autoptr(GBytes) message = NULL;

	if (link->done || link->link == NULL)
		return;
	link->received_datagrams++;
	message = g_bytes_new(data, len);
	link->host->link_received(link->link, message);
}

void
udp_link_fail(UdpLink *link, const GError *reason)
{
	RcLink *rc_link = link->link;

	if (link->done)
		return;
	udp_link_detach(link);
	if (rc_link != NULL)
		link->host->link_closed(rc_link, reason);
}

void
udp_link_ended(gpointer user_data, const GError *reason)
{
	udp_link_unref(user_data);
}
