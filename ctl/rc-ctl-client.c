/* rc-ctl-client.c: receptorctl's connection to a control service
 * (control.md 5.2, 5.10). */
#include "config.h"

#include "rc-ctl-client.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rc-ctl-tls.h"

struct _RcCtlClient {
	char *address;
	char *rootcas;
	char *key;
	char *cert;
	gboolean insecureskipverify;
	int fd;
	GSocket *socket;
	GIOStream *stream; /* the socket connection, or the TLS stream over it */
	GByteArray *buf;   /* read-ahead */
	char *remote_node;
};

RcCtlClient *
rc_ctl_client_new(const char *address, const char *rootcas, const char *key, const char *cert,
		  gboolean insecureskipverify)
{
	RcCtlClient *client = g_new0(RcCtlClient, 1);
	client->address = g_strdup(address);
	client->rootcas = g_strdup(rootcas);
	client->key = g_strdup(key);
	client->cert = g_strdup(cert);
	client->insecureskipverify = insecureskipverify;
	client->fd = -1;
	client->buf = g_byte_array_new();
	return client;
}

void
rc_ctl_client_close(RcCtlClient *client)
{
	if (client->stream != NULL)
		g_io_stream_close(client->stream, NULL, NULL);
	g_clear_object(&client->stream);
	g_clear_object(&client->socket);
	client->fd = -1;
	g_byte_array_set_size(client->buf, 0);
}

void
rc_ctl_client_free(RcCtlClient *client)
{
	if (client == NULL)
		return;
	rc_ctl_client_close(client);
	g_free(client->address);
	g_free(client->rootcas);
	g_free(client->key);
	g_free(client->cert);
	g_free(client->remote_node);
	g_byte_array_unref(client->buf);
	g_free(client);
}

/* Python's OSError text: "[Errno n] <strerror>". */
static void
set_errno_error(GError **error, int errsv)
{
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "[Errno %d] %s", errsv,
		    g_strerror(errsv));
}

static gboolean
adopt_fd(RcCtlClient *client, int fd, GError **error)
{
	g_autoptr(GSocket) sock = g_socket_new_from_fd(fd, error);
	if (sock == NULL) {
		close(fd);
		return FALSE;
	}
	client->fd = fd;
	client->socket = g_object_ref(sock);
	client->stream = G_IO_STREAM(g_socket_connection_factory_create_connection(sock));
	return TRUE;
}

static gboolean
connect_unix(RcCtlClient *client, const char *path_in, GError **error)
{
	g_autofree char *path = NULL;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	/* os.path.expanduser */
	if (path_in[0] == '~' && (path_in[1] == '/' || path_in[1] == '\0'))
		path = g_strconcat(g_get_home_dir(), path_in + 1, NULL);
	else
		path = g_strdup(path_in);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "Socket path does not exist: %s", path);
		return FALSE;
	}
	if (strlen(path) >= sizeof sun.sun_path) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "AF_UNIX path too long");
		return FALSE;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_errno_error(error, errno);
		return FALSE;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		int errsv = errno;
		close(fd);
		set_errno_error(error, errsv);
		return FALSE;
	}
	return adopt_fd(client, fd, error);
}

static gboolean
connect_tcp(RcCtlClient *client, const char *host, const char *port, gboolean tls,
	    GError **error)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc != 0) {
		/* socket.gaierror passes through (control.md 5.2) */
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "[Errno %d] %s", rc,
			    gai_strerror(rc));
		return FALSE;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			continue;
		}
		if (!adopt_fd(client, fd, NULL))
			continue;
		if (tls) {
			g_autoptr(GError) tls_error = NULL;
			GIOStream *wrapped =
				rc_ctl_tls_wrap(client->stream, host, client->rootcas, client->cert,
						client->key, client->insecureskipverify, &tls_error);
			if (wrapped == NULL) {
				g_debug("TLS to %s:%s: %s", host, port, tls_error->message);
				rc_ctl_client_close(client);
				continue;
			}
			g_object_unref(client->stream);
			client->stream = wrapped;
		}
		break;
	}
	freeaddrinfo(res);
	if (client->stream == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
			    "Could not connect to host %s port %s", host, port);
		return FALSE;
	}
	return TRUE;
}

gboolean
rc_ctl_client_handshake(RcCtlClient *client, GError **error)
{
	g_autofree char *line = rc_ctl_client_read_line(client, error);
	const char *prefix = "Receptor Control, node ";

	if (line == NULL)
		return FALSE;
	if (!g_str_has_prefix(line, prefix) || line[strlen(prefix)] == '\0' ||
	    strchr(line, '\n') != NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "Failed to connect to Receptor socket");
		return FALSE;
	}
	g_free(client->remote_node);
	client->remote_node = g_strdup(line + strlen(prefix));
	return TRUE;
}

const char *
rc_ctl_client_get_remote_node(RcCtlClient *client)
{
	return client->remote_node;
}

gboolean
rc_ctl_client_connect(RcCtlClient *client, GError **error)
{
	g_autoptr(GRegex) re = NULL;
	g_autoptr(GMatchInfo) m = NULL;

	if (client->stream != NULL)
		return TRUE;
	/* receptorctl's address grammar, as a full match (control.md 5.2) */
	re = g_regex_new("^(?:(tcp|tls):(//)?([a-zA-Z0-9\\-.:]+):([0-9]+)|(unix:(//)?)?([^:]+))\\z",
			 G_REGEX_DOTALL, 0, NULL);
	if (g_regex_match(re, client->address, 0, &m)) {
		g_autofree char *proto = g_match_info_fetch(m, 1);
		g_autofree char *host = g_match_info_fetch(m, 3);
		g_autofree char *port = g_match_info_fetch(m, 4);
		g_autofree char *path = g_match_info_fetch(m, 7);

		if (path != NULL && path[0] != '\0') {
			if (!connect_unix(client, path, error))
				return FALSE;
			return rc_ctl_client_handshake(client, error);
		}
		if (host != NULL && host[0] != '\0' && port != NULL && port[0] != '\0') {
			if (!connect_tcp(client, host, port, g_strcmp0(proto, "tls") == 0, error))
				return FALSE;
			return rc_ctl_client_handshake(client, error);
		}
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Invalid socket address %s",
		    client->address);
	return FALSE;
}

gboolean
rc_ctl_client_write(RcCtlClient *client, const void *data, gsize len, GError **error)
{
	if (client->stream == NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "not connected");
		return FALSE;
	}
	return g_output_stream_write_all(g_io_stream_get_output_stream(client->stream), data, len,
					 NULL, NULL, error);
}

/* Read more into the buffer; 0 at EOF. */
static gssize
fill(RcCtlClient *client, GError **error)
{
	guint8 tmp[16384];
	gssize n;

	if (client->stream == NULL)
		return 0;
	n = g_input_stream_read(g_io_stream_get_input_stream(client->stream), tmp, sizeof tmp,
				NULL, error);
	if (n > 0)
		g_byte_array_append(client->buf, tmp, (guint)n);
	return n;
}

gsize
rc_ctl_client_buffered(RcCtlClient *client)
{
	return client->buf->len;
}

char *
rc_ctl_client_read_line(RcCtlClient *client, GError **error)
{
	const guint8 *nl;
	gsize take;
	g_autofree char *raw = NULL;
	char *valid;

	for (;;) {
		gssize n;
		nl = client->buf->len > 0 ? memchr(client->buf->data, '\n', client->buf->len)
					  : NULL;
		if (nl != NULL)
			break;
		n = fill(client, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
	}
	take = nl != NULL ? (gsize)(nl - client->buf->data) + 1 : client->buf->len;
	raw = g_strndup((const char *)client->buf->data, take);
	g_byte_array_remove_range(client->buf, 0, (guint)take);
	valid = g_utf8_make_valid(raw, (gssize)strlen(raw));
	return g_strstrip(valid);
}

gssize
rc_ctl_client_read(RcCtlClient *client, void *buf, gsize len, GError **error)
{
	if (client->buf->len > 0) {
		gsize n = MIN(len, client->buf->len);
		memcpy(buf, client->buf->data, n);
		g_byte_array_remove_range(client->buf, 0, (guint)n);
		return (gssize)n;
	}
	if (client->stream == NULL)
		return 0;
	return g_input_stream_read(g_io_stream_get_input_stream(client->stream), buf, len, NULL,
				   error);
}

JsonNode *
rc_ctl_client_simple_command(RcCtlClient *client, const char *command, GError **error)
{
	g_autofree char *line = NULL;
	g_autofree char *text = NULL;
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) local = NULL;

	if (!rc_ctl_client_connect(client, error))
		return NULL;
	text = g_strconcat(command, "\n", NULL);
	if (!rc_ctl_client_write(client, text, strlen(text), error))
		return NULL;
	line = rc_ctl_client_read_line(client, error);
	if (line == NULL)
		return NULL;
	if (g_str_has_prefix(line, "ERROR:")) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    strlen(line) > 7 ? line + 7 : "");
		return NULL;
	}
	parser = json_parser_new();
	if (line[0] == '\0' || !json_parser_load_from_data(parser, line, -1, &local)) {
		/* Python json.loads text for the common case */
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    line[0] == '\0' ? "Expecting value: line 1 column 1 (char 0)"
						    : local->message);
		return NULL;
	}
	return json_node_copy(json_parser_get_root(parser));
}

gboolean
rc_ctl_client_connect_to_service(RcCtlClient *client, const char *node, const char *service,
				 const char *tlsclient, GError **error)
{
	g_autofree char *cmd = NULL;
	g_autofree char *line = NULL;

	if (!rc_ctl_client_connect(client, error))
		return FALSE;
	cmd = g_strdup_printf("connect %s %s %s\n", node, service, tlsclient);
	if (!rc_ctl_client_write(client, cmd, strlen(cmd), error))
		return FALSE;
	line = rc_ctl_client_read_line(client, error);
	if (line == NULL)
		return FALSE;
	if (!g_str_has_prefix(line, "Connecting")) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, line);
		return FALSE;
	}
	return TRUE;
}

gboolean
rc_ctl_client_shutdown_write(RcCtlClient *client, GError **error)
{
	if (client->socket == NULL)
		return TRUE;
	return g_socket_shutdown(client->socket, FALSE, TRUE, error);
}

int
rc_ctl_client_get_fd(RcCtlClient *client)
{
	return client->fd;
}
