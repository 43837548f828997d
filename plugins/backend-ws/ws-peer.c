/* ws-peer.c: dial a websocket listener (TCP, TLS through the core for wss,
 * Go's upgrade request), hand the session to the core, redial with back-off
 * (wire.md 9.2, 9.6). */
#include "ws-peer.h"

#include "ws-common.h"
#include "ws-head.h"
#include "ws-link.h"

typedef struct _WsDial WsDial;
typedef struct _WsPeerEnd WsPeerEnd;

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *address;
	WsUrl *url;
	char *extra_name;  /* nullable */
	char *extra_value; /* nullable */
	char *tls;         /* nullable; only used for wss */
	WsProxy *proxy;    /* nullable: CONNECT tunnel from the environment */
	gboolean redial;
	gboolean running;
	double delay_s;
	guint redial_source;
	GSocketClient *client;
	WsDial *dial;      /* the attempt in progress */
	WsPeerEnd *end;    /* the current session's ended context */
	WsLink *link;      /* (borrowed) the current session until it detaches */
} WsPeer;

/* One dial attempt; outlives the peer when stopped mid-way (self NULL). */
struct _WsDial {
	WsPeer *self;
	GCancellable *cancellable;
	GIOStream *stream;
	char *key;
	char *request;
	char *connect;     /* the CONNECT request to the proxy */
};

struct _WsPeerEnd {
	WsPeer *self;  /* NULL once the peer is gone */
	WsLink *link;  /* (owned) the ended callback's reference */
};

double
ws_peer_next_delay(double delay_s)
{
	double next = delay_s * WS_REDIAL_FACTOR;

	return next > WS_REDIAL_MAX_S ? WS_REDIAL_MAX_S : next;
}

static void
ws_dial_free(WsDial *dial)
{
	if (dial->stream != NULL && !g_io_stream_is_closed(dial->stream))
		g_io_stream_close_async(dial->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
	g_clear_object(&dial->stream);
	g_clear_object(&dial->cancellable);
	g_free(dial->key);
	g_free(dial->request);
	g_free(dial->connect);
	g_free(dial);
}

/* The attempt is over: detach it from the peer and free it.  Returns the
 * peer (NULL when it was stopped). */
static WsPeer *
ws_dial_take(WsDial *dial)
{
	WsPeer *self = dial->self;

	if (self != NULL && self->dial == dial)
		self->dial = NULL;
	ws_dial_free(dial);
	return self;
}

static void ws_peer_dial(WsPeer *self);

static gboolean
ws_peer_redial_cb(gpointer user_data)
{
	WsPeer *self = user_data;

	self->redial_source = 0;
	self->delay_s = ws_peer_next_delay(self->delay_s);
	ws_peer_dial(self);
	return G_SOURCE_REMOVE;
}

static void
ws_peer_schedule_redial(WsPeer *self)
{
	g_clear_handle_id(&self->redial_source, g_source_remove);
	self->redial_source =
		g_timeout_add((guint)(self->delay_s * 1000.0), ws_peer_redial_cb, self);
}

static void
ws_peer_dial_failed(WsPeer *self, const char *text)
{
	if (self->redial) {
		rc_log_warning("Backend connection failed (will retry): %s", text);
		ws_peer_schedule_redial(self);
	} else {
		rc_log_error("Backend connection failed: %s", text);
		self->running = FALSE;
	}
}

static void
ws_peer_link_ended(gpointer user_data, const GError *reason)
{
	WsPeerEnd *end = user_data;
	WsPeer *self = end->self;

	g_clear_pointer(&end->link, ws_link_unref);
	g_free(end);
	if (self == NULL)
		return;
	self->end = NULL;
	if (!self->running)
		return;
	if (self->redial) {
		rc_log_warning("Backend connection exited (will retry)");
		ws_peer_schedule_redial(self);
	} else {
		self->running = FALSE;
	}
}

static void
ws_peer_link_detach(gpointer owner, WsLink *link)
{
	WsPeer *self = owner;

	if (self->link == link)
		self->link = NULL;
}

static void
ws_peer_open_link(WsPeer *self, GIOStream *stream)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(WsLink) link = NULL;
	WsPeerEnd *end;

	/* wire.md 9.2: a successful dial resets the delay */
	self->delay_s = WS_REDIAL_INITIAL_S;
	link = ws_link_new(self->host, stream, TRUE, self->address, ws_peer_link_detach, self);
	ws_link_ref(link); /* ours, across link_open */
	end = g_new0(WsPeerEnd, 1);
	end->self = self;
	end->link = link; /* the ended reference */
	self->end = end;
	self->link = link;
	if (!ws_link_open(link, self->entity, ws_peer_link_ended, end, &error)) {
		end->link = NULL;
		g_free(end);
		self->end = NULL;
		self->link = NULL;
		ws_peer_dial_failed(self, error->message);
	}
}

static void
ws_peer_response_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsDial *dial = user_data;
	WsPeer *self = dial->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) head = NULL;
	g_autoptr(GIOStream) stream = NULL;
	const guint8 *data;
	gsize len = 0;

	head = ws_head_read_finish(result, &error);
	if (self == NULL) {
		ws_dial_take(dial);
		return;
	}
	if (head == NULL) {
		g_autofree char *text = ws_error_text(error);

		ws_dial_take(dial);
		ws_peer_dial_failed(self, text);
		return;
	}
	data = g_bytes_get_data(head, &len);
	if (!ws_check_response(data, len, dial->key, &error)) {
		ws_dial_take(dial);
		ws_peer_dial_failed(self, error->message);
		return;
	}
	stream = g_steal_pointer(&dial->stream);
	ws_dial_take(dial);
	ws_peer_open_link(self, stream);
}

static void
ws_peer_request_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsDial *dial = user_data;
	WsPeer *self = dial->self;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
		g_autofree char *text = NULL;

		ws_dial_take(dial);
		if (self == NULL)
			return;
		text = ws_error_text(error);
		ws_peer_dial_failed(self, text);
		return;
	}
	if (self == NULL) {
		ws_dial_take(dial);
		return;
	}
	ws_head_read_async(dial->stream, WS_MAX_HEAD, WS_PEER_RESPONSE_TIMEOUT_MS,
			   dial->cancellable, ws_peer_response_read, dial);
}

static void
ws_peer_handshake(WsDial *dial)
{
	WsPeer *self = dial->self;

	if (!G_IS_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(dial->stream)) ||
	    !G_IS_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(dial->stream))) {
		ws_dial_take(dial);
		ws_peer_dial_failed(self, "the TLS stream is not pollable");
		return;
	}
	dial->key = ws_new_key();
	dial->request = ws_build_request(self->url, dial->key, self->extra_name, self->extra_value);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(dial->stream),
					dial->request, strlen(dial->request), G_PRIORITY_DEFAULT,
					dial->cancellable, ws_peer_request_written, dial);
}

static void
ws_peer_tls_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsDial *dial = user_data;
	WsPeer *self = dial->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) stream = NULL;

	if (self == NULL) {
		ws_dial_take(dial);
		return;
	}
	stream = self->host->tls_wrap_finish(self->entity, result, &error);
	if (stream == NULL) {
		ws_dial_take(dial);
		ws_peer_dial_failed(self, error->message);
		return;
	}
	g_clear_object(&dial->stream);
	dial->stream = g_steal_pointer(&stream);
	ws_peer_handshake(dial);
}

/* Connected to the listener (directly or through the proxy's tunnel). */
static void
ws_peer_over_tcp(WsDial *dial)
{
	WsPeer *self = dial->self;

	if (self->url->tls) {
		self->host->tls_wrap_async(self->entity, self->tls, FALSE, dial->stream,
					   self->url->host, dial->cancellable, ws_peer_tls_done,
					   dial);
		return;
	}
	ws_peer_handshake(dial);
}

static void
ws_peer_tunnel_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsDial *dial = user_data;
	WsPeer *self = dial->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) head = NULL;
	const guint8 *data;
	gsize len = 0;

	head = ws_head_read_finish(result, &error);
	if (self == NULL) {
		ws_dial_take(dial);
		return;
	}
	if (head == NULL) {
		g_autofree char *text = ws_error_text(error);

		ws_dial_take(dial);
		ws_peer_dial_failed(self, text);
		return;
	}
	data = g_bytes_get_data(head, &len);
	if (!ws_check_connect_response(data, len, &error)) {
		ws_dial_take(dial);
		ws_peer_dial_failed(self, error->message);
		return;
	}
	ws_peer_over_tcp(dial);
}

static void
ws_peer_tunnel_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsDial *dial = user_data;
	WsPeer *self = dial->self;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error) ||
	    self == NULL) {
		g_autofree char *text = error != NULL ? ws_error_text(error) : NULL;

		ws_dial_take(dial);
		if (self != NULL)
			ws_peer_dial_failed(self, text);
		return;
	}
	ws_head_read_async(dial->stream, WS_MAX_HEAD, WS_PEER_RESPONSE_TIMEOUT_MS,
			   dial->cancellable, ws_peer_tunnel_read, dial);
}

/* wire.md 9.6 "Proxy": CONNECT host:port through the HTTP proxy */
static void
ws_peer_tunnel(WsDial *dial)
{
	WsPeer *self = dial->self;

	dial->connect = ws_build_connect(self->url, self->proxy);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(dial->stream),
					dial->connect, strlen(dial->connect), G_PRIORITY_DEFAULT,
					dial->cancellable, ws_peer_tunnel_written, dial);
}

static void
ws_peer_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsDial *dial = user_data;
	WsPeer *self = dial->self;
	g_autoptr(GError) error = NULL;
	GSocketConnection *connection;

	connection = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result,
							    &error);
	if (self == NULL) {
		g_clear_object(&connection);
		ws_dial_take(dial);
		return;
	}
	if (connection == NULL) {
		g_autofree char *text = ws_error_text(error);
		g_autofree char *full = NULL;

		ws_dial_take(dial);
		/* wire.md 9.2: keep Go's prefix "dial tcp <addr>: " */
		if (self->proxy != NULL)
			full = g_strdup_printf("dial tcp %s:%u: connect: %s", self->proxy->host,
					       self->proxy->port, text);
		else
			full = g_strdup_printf("dial tcp %s: connect: %s", self->url->host_header,
					       text);
		ws_peer_dial_failed(self, full);
		return;
	}
	dial->stream = G_IO_STREAM(connection);
	if (self->proxy != NULL) {
		ws_peer_tunnel(dial);
		return;
	}
	ws_peer_over_tcp(dial);
}

static void
ws_peer_dial(WsPeer *self)
{
	WsDial *dial;

	if (!self->running)
		return;
	dial = g_new0(WsDial, 1);
	dial->self = self;
	dial->cancellable = g_cancellable_new();
	self->dial = dial;
	if (self->proxy != NULL)
		g_socket_client_connect_to_host_async(self->client, self->proxy->host,
						      self->proxy->port, dial->cancellable,
						      ws_peer_connected, dial);
	else
		g_socket_client_connect_to_host_async(self->client, self->url->host,
						      self->url->port, dial->cancellable,
						      ws_peer_connected, dial);
}

gboolean
ws_peer_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
	       GError **error)
{
	g_autofree WsPeer *self = NULL;
	const char *address = ws_param_string(params, "address");
	const char *extra = ws_param_string(params, "extraheader");
	const char *tls = ws_param_string(params, "tls");
	g_autoptr(WsUrl) url = NULL;
	g_autofree char *extra_name = NULL;
	g_autofree char *extra_value = NULL;
	gboolean redial = TRUE;

	if (!ws_check_costs(params, error))
		return FALSE;
	if (address == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "required parameter missing: address");
		return FALSE;
	}
	url = ws_url_parse(address, error);
	if (url == NULL)
		return FALSE;
	if (extra != NULL && !ws_parse_extra_header(extra, &extra_name, &extra_value, error))
		return FALSE;
	(void)g_variant_lookup(params, "redial", "b", &redial);
	self = g_new0(WsPeer, 1);
	self->host = host;
	self->entity = entity;
	self->address = g_strdup(address);
	self->url = g_steal_pointer(&url);
	self->extra_name = g_steal_pointer(&extra_name);
	self->extra_value = g_steal_pointer(&extra_value);
	/* wire.md 9.6: wss without tls= uses the client config named "default" */
	self->tls = g_strdup(tls != NULL ? tls : "default");
	self->redial = redial;
	self->delay_s = WS_REDIAL_INITIAL_S;
	*data = g_steal_pointer(&self);
	return TRUE;
}

/* golang.org/x/net/http/httpproxy: the upper-case variable wins */
static const char *
ws_getenv2(const char *upper, const char *lower)
{
	const char *value = g_getenv(upper);

	return value != NULL && value[0] != '\0' ? value : g_getenv(lower);
}

gboolean
ws_peer_start(gpointer data, GError **error)
{
	WsPeer *self = data;

	if (self->url->tls) {
		if (!RC_HOST_HAS(self->host, tls_check) ||
		    !RC_HOST_HAS(self->host, tls_wrap_async)) {
			g_set_error(error, RC_ERROR, RC_ERROR_UNSUPPORTED,
				    "unknown TLS config %s", self->tls);
			return FALSE;
		}
		if (!self->host->tls_check(self->entity, self->tls, FALSE, error))
			return FALSE;
	}
	/* wire.md 9.6 "Proxy": Go's http.ProxyFromEnvironment; our own CONNECT
	 * tunnel, not GIO's proxy resolver */
	g_clear_pointer(&self->proxy, ws_proxy_free);
	if (!ws_proxy_from_env(self->url, ws_getenv2("HTTP_PROXY", "http_proxy"),
			       ws_getenv2("HTTPS_PROXY", "https_proxy"),
			       ws_getenv2("NO_PROXY", "no_proxy"), &self->proxy, error))
		return FALSE;
	self->client = g_socket_client_new();
	g_socket_client_set_enable_proxy(self->client, FALSE);
	self->running = TRUE;
	rc_log_debug("Running Websocket peer connection %s", self->address);
	ws_peer_dial(self);
	return TRUE;
}

void
ws_peer_stop(gpointer data)
{
	WsPeer *self = data;

	if (self == NULL)
		return;
	self->running = FALSE;
	g_clear_handle_id(&self->redial_source, g_source_remove);
	if (self->dial != NULL) {
		/* the pending callback finds no peer and only frees the attempt */
		self->dial->self = NULL;
		g_cancellable_cancel(self->dial->cancellable);
		self->dial = NULL;
	}
	if (self->end != NULL) {
		self->end->self = NULL;
		self->end = NULL;
	}
	if (self->link != NULL)
		ws_link_fail(self->link, NULL);
	g_clear_object(&self->client);
}

void
ws_peer_free(gpointer data)
{
	WsPeer *self = data;

	if (self == NULL)
		return;
	ws_peer_stop(self);
	ws_url_free(self->url);
	ws_proxy_free(self->proxy);
	g_free(self->address);
	g_free(self->extra_name);
	g_free(self->extra_value);
	g_free(self->tls);
	g_free(self);
}
