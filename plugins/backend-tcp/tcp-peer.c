/* tcp-peer.c: dial a TCP peer, hand the session to the core, redial with
 * back-off (wire.md 9.2, 9.4). */
#include "tcp-peer.h"

#include "tcp-common.h"

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *address;
	char *hostname; /* host part of address: the TLS server name */
	gboolean redial;
	char *tls; /* nullable */
	gboolean running;
	double delay_s;
	guint redial_source;
	guint timeout_source;
	GSocketClient *client;
	GCancellable *attempt; /* the dial (and TLS handshake) in progress */
	struct _TcpDial *dial;  /* nullable: the attempt's callback context */
	RcLink *link;
	guint pending_ends; /* links whose `ended` callback has not run yet */
	gboolean freed;     /* free() ran while an `ended` was pending */
} TcpPeer;

static void tcp_peer_release(TcpPeer *self);

/* Context of one dial attempt; outlives the peer when the peer is stopped while
 * an asynchronous operation is pending (self is then NULL). */
typedef struct _TcpDial {
	TcpPeer *self;
} TcpDial;

static TcpPeer *
tcp_dial_take(TcpDial *dial)
{
	TcpPeer *self = dial->self;

	if (self != NULL)
		self->dial = NULL;
	g_free(dial);
	return self;
}

double
tcp_peer_next_delay(double delay_s)
{
	double next = delay_s * TCP_REDIAL_FACTOR;

	return next > TCP_REDIAL_MAX_S ? TCP_REDIAL_MAX_S : next;
}

static void tcp_peer_dial(TcpPeer *self);

static gboolean
tcp_peer_redial_cb(gpointer user_data)
{
	TcpPeer *self = user_data;

	self->redial_source = 0;
	self->delay_s = tcp_peer_next_delay(self->delay_s);
	tcp_peer_dial(self);
	return G_SOURCE_REMOVE;
}

static void
tcp_peer_schedule_redial(TcpPeer *self)
{
	g_clear_handle_id(&self->redial_source, g_source_remove);
	self->redial_source =
		g_timeout_add((guint)(self->delay_s * 1000.0), tcp_peer_redial_cb, self);
}

static void
tcp_peer_dial_failed(TcpPeer *self, const char *text)
{
	g_clear_handle_id(&self->timeout_source, g_source_remove);
	g_clear_object(&self->attempt);
	if (self->redial) {
		rc_log_warning("Backend connection failed (will retry): %s", text);
		tcp_peer_schedule_redial(self);
	} else {
		rc_log_error("Backend connection failed: %s", text);
		self->running = FALSE;
	}
}

static void
tcp_peer_link_ended(gpointer user_data, const GError *reason)
{
	TcpPeer *self = user_data;

	self->pending_ends--;
	if (self->freed) {
		/* stop/free ran first: the core calls `ended` from the loop later */
		if (self->pending_ends == 0)
			tcp_peer_release(self);
		return;
	}
	self->link = NULL;
	if (!self->running)
		return;
	if (self->redial) {
		rc_log_warning("Backend connection exited (will retry)");
		tcp_peer_schedule_redial(self);
	} else {
		self->running = FALSE;
	}
}

static void
tcp_peer_open_link(TcpPeer *self, GIOStream *stream)
{
	g_autoptr(GError) error = NULL;

	g_clear_handle_id(&self->timeout_source, g_source_remove);
	g_clear_object(&self->attempt);
	/* wire.md 9.2: a successful dial resets the delay */
	self->delay_s = TCP_REDIAL_INITIAL_S;
	self->link = self->host->link_open_stream(self->entity, stream, self->address,
						  tcp_peer_link_ended, self, &error);
	if (self->link == NULL)
		tcp_peer_dial_failed(self, error->message);
	else
		self->pending_ends++;
}

static void
tcp_peer_tls_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	TcpPeer *self = tcp_dial_take(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) stream = NULL;

	if (self == NULL)
		return;
	stream = self->host->tls_wrap_finish(self->entity, result, &error);
	if (stream == NULL) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			tcp_peer_dial_failed(self, "i/o timeout");
		else
			tcp_peer_dial_failed(self, error->message);
		return;
	}
	tcp_peer_open_link(self, stream);
}

static void
tcp_peer_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
	TcpDial *dial = user_data;
	TcpPeer *self = dial->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) connection = NULL;

	if (self == NULL) {
		g_free(dial);
		return;
	}
	connection = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result,
							    &error);
	if (connection == NULL) {
		g_autofree char *text = NULL;
		g_autofree char *full = NULL;

		tcp_dial_take(dial);
		text = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
			       ? g_strdup("i/o timeout")
			       : tcp_error_text(error);
		/* wire.md 9.2: keep Go's prefix "dial tcp <addr>: " */
		full = g_strdup_printf("dial tcp %s: connect: %s", self->address, text);
		tcp_peer_dial_failed(self, full);
		return;
	}
	tcp_set_nodelay(connection);
	if (self->tls != NULL) {
		self->host->tls_wrap_async(self->entity, self->tls, FALSE, G_IO_STREAM(connection),
					   self->hostname, self->attempt, tcp_peer_tls_done, dial);
		return;
	}
	tcp_dial_take(dial);
	tcp_peer_open_link(self, G_IO_STREAM(connection));
}

static gboolean
tcp_peer_timeout_cb(gpointer user_data)
{
	TcpPeer *self = user_data;

	self->timeout_source = 0;
	if (self->attempt != NULL)
		g_cancellable_cancel(self->attempt);
	return G_SOURCE_REMOVE;
}

static void
tcp_peer_dial(TcpPeer *self)
{
	if (!self->running)
		return;
	g_clear_object(&self->attempt);
	self->attempt = g_cancellable_new();
	if (self->tls != NULL)
		self->timeout_source = g_timeout_add_seconds(TCP_TLS_DIAL_TIMEOUT_S,
							     tcp_peer_timeout_cb, self);
	self->dial = g_new0(TcpDial, 1);
	self->dial->self = self;
	g_socket_client_connect_to_host_async(self->client, self->address, 0, self->attempt,
					      tcp_peer_connected, self->dial);
}

gboolean
tcp_peer_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		GError **error)
{
	g_autofree TcpPeer *self = NULL;
	const char *address = tcp_param_string(params, "address");
	const char *tls = tcp_param_string(params, "tls");
	g_autofree char *hostname = NULL;
	g_autofree char *port = NULL;
	gboolean redial = TRUE;

	if (!tcp_check_costs(params, error))
		return FALSE;
	if (address == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "required parameter missing: address");
		return FALSE;
	}
	if (!tcp_split_host_port(address, &hostname, &port, error))
		return FALSE;
	(void)g_variant_lookup(params, "redial", "b", &redial);
	self = g_new0(TcpPeer, 1);
	self->host = host;
	self->entity = entity;
	self->address = g_strdup(address);
	self->hostname = g_steal_pointer(&hostname);
	self->redial = redial;
	self->tls = (tls != NULL && tls[0] != '\0') ? g_strdup(tls) : NULL;
	self->delay_s = TCP_REDIAL_INITIAL_S;
	*data = g_steal_pointer(&self);
	return TRUE;
}

gboolean
tcp_peer_start(gpointer data, GError **error)
{
	TcpPeer *self = data;

	if (self->tls != NULL) {
		if (!RC_HOST_HAS(self->host, tls_check) || !RC_HOST_HAS(self->host, tls_wrap_async)) {
			g_set_error(error, RC_ERROR, RC_ERROR_UNSUPPORTED,
				    "unknown TLS config %s", self->tls);
			return FALSE;
		}
		if (!self->host->tls_check(self->entity, self->tls, FALSE, error))
			return FALSE;
	}
	self->client = g_socket_client_new();
	/* Go's tcp-peer dials directly; GIO's proxy lookup would also consult
	 * GSettings, which a daemon must not depend on */
	g_socket_client_set_enable_proxy(self->client, FALSE);
	self->running = TRUE;
	rc_log_debug("Running TCP peer connection %s", self->address);
	tcp_peer_dial(self);
	return TRUE;
}

void
tcp_peer_stop(gpointer data)
{
	TcpPeer *self = data;

	if (self == NULL)
		return;
	self->running = FALSE;
	g_clear_handle_id(&self->redial_source, g_source_remove);
	g_clear_handle_id(&self->timeout_source, g_source_remove);
	if (self->dial != NULL) {
		/* the pending callback finds no peer and only frees its context */
		self->dial->self = NULL;
		self->dial = NULL;
	}
	if (self->attempt != NULL) {
		g_cancellable_cancel(self->attempt);
		g_clear_object(&self->attempt);
	}
	if (self->link != NULL) {
		RcLink *link = self->link;

		self->link = NULL;
		self->host->link_closed(link, NULL);
	}
	g_clear_object(&self->client);
}

void
tcp_peer_free(gpointer data)
{
	TcpPeer *self = data;

	if (self == NULL)
		return;
	tcp_peer_stop(self);
	if (self->pending_ends > 0) {
		self->freed = TRUE;
		return;
	}
	tcp_peer_release(self);
}

static void
tcp_peer_release(TcpPeer *self)
{
	g_free(self->address);
	g_free(self->hostname);
	g_free(self->tls);
	g_free(self);
}
