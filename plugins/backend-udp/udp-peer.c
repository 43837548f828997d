/* udp-peer.c: dial a UDP peer (a connected socket with a new ephemeral port per
 * attempt), hand the session to the core, redial with back-off (wire.md 9.2, 9.5). */
#include "udp-peer.h"

#include "udp-common.h"
#include "udp-link.h"

typedef struct _UdpPeerEnd UdpPeerEnd;

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *address;
	char *hostname;
	guint16 port;
	gboolean redial;
	gboolean running;
	double delay_s;
	guint redial_source;
	GCancellable *resolving;
	UdpLink *link;      /* (borrowed) the current session, until it detaches */
	UdpPeerEnd *end;    /* context of the current session's `ended` callback */
	GSource *read_source;
	guint8 *buffer;     /* UDP_READ_BUFFER_SIZE */
} UdpPeer;

/* Outlives the peer when the core reports the end after the peer is freed. */
struct _UdpPeerEnd {
	UdpPeer *self; /* NULL once the peer is gone */
	UdpLink *link; /* (owned) the ended callback's reference */
};

double
udp_peer_next_delay(double delay_s)
{
	double next = delay_s * UDP_REDIAL_FACTOR;

	return next > UDP_REDIAL_MAX_S ? UDP_REDIAL_MAX_S : next;
}

static void udp_peer_dial(UdpPeer *self);

static gboolean
udp_peer_redial_cb(gpointer user_data)
{
	UdpPeer *self = user_data;

	self->redial_source = 0;
	self->delay_s = udp_peer_next_delay(self->delay_s);
	udp_peer_dial(self);
	return G_SOURCE_REMOVE;
}

static void
udp_peer_schedule_redial(UdpPeer *self)
{
	g_clear_handle_id(&self->redial_source, g_source_remove);
	self->redial_source =
		g_timeout_add((guint)(self->delay_s * 1000.0), udp_peer_redial_cb, self);
}

static void
udp_peer_dial_failed(UdpPeer *self, const char *text)
{
	if (self->redial) {
		rc_log_warning("Backend connection failed (will retry): %s", text);
		udp_peer_schedule_redial(self);
	} else {
		rc_log_error("Backend connection failed: %s", text);
		self->running = FALSE;
	}
}

static void
udp_peer_link_ended(gpointer user_data, const GError *reason)
{
	UdpPeerEnd *end = user_data;
	UdpPeer *self = end->self;

	g_clear_pointer(&end->link, udp_link_unref);
	g_free(end);
	if (self == NULL)
		return;
	self->end = NULL;
	if (!self->running)
		return;
	if (self->redial) {
		rc_log_warning("Backend connection exited (will retry)");
		udp_peer_schedule_redial(self);
	} else {
		self->running = FALSE;
	}
}

static void
udp_peer_stop_reading(UdpPeer *self)
{
	if (self->read_source != NULL) {
		g_source_destroy(self->read_source);
		g_clear_pointer(&self->read_source, g_source_unref);
	}
}

/* UdpLink detach: the session is over; close its socket. */
static void
udp_peer_session_detach(gpointer owner, UdpLink *link)
{
	UdpPeer *self = owner;

	udp_peer_stop_reading(self);
	(void)g_socket_close(link->socket, NULL);
	if (self->link == link)
		self->link = NULL;
}

static gboolean
udp_peer_read_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	UdpPeer *self = user_data;

	for (guint i = 0; i < UDP_READ_BATCH && self->link != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(UdpLink) link = udp_link_ref(self->link);
		UdpDatagramVerdict verdict;
		gssize n;

		n = g_socket_receive(link->socket, (char *)self->buffer, UDP_READ_BUFFER_SIZE,
				     NULL, &error);
		if (n < 0) {
			g_autoptr(GError) reason = NULL;
			g_autofree char *text = NULL;
			g_autoptr(GSocketAddress) local = NULL;
			g_autofree char *local_text = NULL;

			if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				break;
			/* wire.md 9.5: e.g. ICMP port unreachable ends the session */
			text = udp_error_text(error);
			local = g_socket_get_local_address(link->socket, NULL);
			local_text = udp_address_key(local);
			reason = g_error_new(RC_ERROR, RC_ERROR_FAILED, "read udp %s->%s: read: %s",
					     local_text, link->key, text);
			udp_link_fail(link, reason);
			return G_SOURCE_REMOVE;
		}
		verdict = udp_datagram_classify(self->buffer, (gsize)n, FALSE);
		if (verdict != UDP_DATAGRAM_OK) {
			rc_log_warning("UDP peer %s: dropping datagram: %s", self->address,
				       udp_datagram_verdict_text(verdict));
			continue;
		}
		udp_link_deliver(link, self->buffer, (gsize)n);
	}
	return self->read_source != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
udp_peer_connect(UdpPeer *self, GInetAddress *inet)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) remote = g_inet_socket_address_new(inet, self->port);
	g_autofree char *key = udp_address_key(remote);
	g_autoptr(UdpLink) link = NULL;
	UdpPeerEnd *end;

	socket = g_socket_new(g_inet_address_get_family(inet), G_SOCKET_TYPE_DATAGRAM,
			      G_SOCKET_PROTOCOL_UDP, &error);
	if (socket == NULL || !g_socket_connect(socket, remote, NULL, &error)) {
		g_autofree char *text = udp_error_text(error);
		g_autofree char *full = g_strdup_printf("dial udp %s: %s", self->address, text);

		udp_peer_dial_failed(self, full);
		return;
	}
	g_socket_set_blocking(socket, FALSE);
	/* wire.md 9.2: a successful dial resets the delay */
	self->delay_s = UDP_REDIAL_INITIAL_S;
	link = udp_link_new(self->host, socket, NULL, key, udp_peer_session_detach, self);
	udp_link_ref(link); /* ours, across link_open */
	self->link = link;
	self->read_source = g_socket_create_source(socket, G_IO_IN, NULL);
	g_source_set_callback(self->read_source, G_SOURCE_FUNC(udp_peer_read_cb), self, NULL);
	g_source_attach(self->read_source, NULL);
	end = g_new0(UdpPeerEnd, 1);
	end->self = self;
	end->link = link; /* takes the ended reference */
	self->end = end;
	if (!udp_link_open(link, self->entity, udp_peer_link_ended, end, &error)) {
		/* udp_link_open dropped the core's and the ended reference */
		end->link = NULL;
		g_free(end);
		self->end = NULL;
		self->link = NULL;
		udp_peer_stop_reading(self);
		udp_peer_dial_failed(self, error->message);
		return;
	}
}

static void
udp_peer_resolved(GObject *source, GAsyncResult *result, gpointer user_data)
{
	UdpPeer *self = user_data;
	g_autoptr(GError) error = NULL;
	GList *addresses;

	addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* stopped; self may be gone */
	g_clear_object(&self->resolving);
	if (addresses == NULL) {
		g_autofree char *full = g_strdup_printf("dial udp %s: lookup %s: %s",
							self->address, self->hostname,
							error->message);

		udp_peer_dial_failed(self, full);
		return;
	}
	udp_peer_connect(self, addresses->data);
	g_resolver_free_addresses(addresses);
}

static void
udp_peer_dial(UdpPeer *self)
{
	g_autoptr(GInetAddress) literal = NULL;
	g_autoptr(GResolver) resolver = NULL;

	if (!self->running)
		return;
	literal = g_inet_address_new_from_string(self->hostname);
	if (literal == NULL && self->hostname[0] == '\0')
		literal = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	if (literal != NULL) {
		udp_peer_connect(self, literal);
		return;
	}
	/* never block the loop on DNS (STYLE 4) */
	resolver = g_resolver_get_default();
	self->resolving = g_cancellable_new();
	g_resolver_lookup_by_name_async(resolver, self->hostname, self->resolving,
					udp_peer_resolved, self);
}

gboolean
udp_peer_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		GError **error)
{
	g_autofree UdpPeer *self = NULL;
	const char *address = udp_param_string(params, "address");
	g_autofree char *hostname = NULL;
	guint16 port = 0;
	gboolean redial = TRUE;

	if (!udp_check_costs(params, error))
		return FALSE;
	if (address == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "required parameter missing: address");
		return FALSE;
	}
	if (!udp_split_host_port(address, &hostname, &port, error))
		return FALSE;
	(void)g_variant_lookup(params, "redial", "b", &redial);
	self = g_new0(UdpPeer, 1);
	self->host = host;
	self->entity = entity;
	self->address = g_strdup(address);
	self->hostname = g_steal_pointer(&hostname);
	self->port = port;
	self->redial = redial;
	self->delay_s = UDP_REDIAL_INITIAL_S;
	*data = g_steal_pointer(&self);
	return TRUE;
}

gboolean
udp_peer_start(gpointer data, GError **error)
{
	UdpPeer *self = data;

	self->running = TRUE;
	if (self->buffer == NULL)
		self->buffer = g_malloc(UDP_READ_BUFFER_SIZE);
	rc_log_debug("Running UDP peer connection %s", self->address);
	udp_peer_dial(self);
	return TRUE;
}

void
udp_peer_stop(gpointer data)
{
	UdpPeer *self = data;

	if (self == NULL)
		return;
	self->running = FALSE;
	g_clear_handle_id(&self->redial_source, g_source_remove);
	if (self->resolving != NULL) {
		g_cancellable_cancel(self->resolving);
		g_clear_object(&self->resolving);
	}
	if (self->end != NULL) {
		self->end->self = NULL;
		self->end = NULL;
	}
	if (self->link != NULL)
		udp_link_fail(self->link, NULL);
	udp_peer_stop_reading(self);
}

void
udp_peer_free(gpointer data)
{
	UdpPeer *self = data;

	if (self == NULL)
		return;
	udp_peer_stop(self);
	g_free(self->buffer);
	g_free(self->address);
	g_free(self->hostname);
	g_free(self);
}
