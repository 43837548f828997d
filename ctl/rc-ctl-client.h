/* rc-ctl-client.h: the client side of the control protocol for receptorctl,
 * behaving like the PyPI receptorctl 1.6.9 ReceptorControl class
 * (control.md 5.2, 5.10): blocking I/O (a command-line tool, not the daemon),
 * error texts as the Python client prints them. */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct _RcCtlClient RcCtlClient;

/* A client for `address` (unix path, unix://path, tcp://host:port,
 * tls://host:port).  Nothing is connected yet.  TLS settings are used only for
 * tls:// addresses; all nullable.  (transfer full) */
RcCtlClient *rc_ctl_client_new(const char *address, const char *rootcas, const char *key,
			       const char *cert, gboolean insecureskipverify);
void rc_ctl_client_free(RcCtlClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcCtlClient, rc_ctl_client_free)

/* Connect and read the greeting, unless connected already (Python connect()).
 * Errors: "Socket path does not exist: <p>", "Invalid socket address <a>",
 * "Could not connect to host <h> port <p>", "[Errno n] <text>",
 * "Failed to connect to Receptor socket". */
gboolean rc_ctl_client_connect(RcCtlClient *client, GError **error);
/* Read a greeting line (after `connect` to a remote control service). */
gboolean rc_ctl_client_handshake(RcCtlClient *client, GError **error);
/* The node ID of the last greeting (transfer none) (nullable). */
const char *rc_ctl_client_get_remote_node(RcCtlClient *client);

/* Write all bytes. */
gboolean rc_ctl_client_write(RcCtlClient *client, const void *data, gsize len, GError **error);
/* One line, decoded as UTF-8 (invalid bytes replaced) and stripped of
 * surrounding whitespace (Python readline().decode().strip()); "" at EOF.
 * (transfer full) (nullable on error) */
char *rc_ctl_client_read_line(RcCtlClient *client, GError **error);
/* Raw bytes: what is buffered first, then the connection.  0 at EOF. */
gssize rc_ctl_client_read(RcCtlClient *client, void *buf, gsize len, GError **error);
/* Buffered bytes not yet consumed. */
gsize rc_ctl_client_buffered(RcCtlClient *client);
/* `command` + "\n", one reply line: "ERROR:..." fails with the text from
 * character 7; otherwise the JSON (Python simple_command).  (transfer full) */
JsonNode *rc_ctl_client_simple_command(RcCtlClient *client, const char *command, GError **error);
/* Python connect_to_service: "connect <node> <service> <tls>\n" and a line
 * starting with "Connecting" (else the whole line is the error). */
gboolean rc_ctl_client_connect_to_service(RcCtlClient *client, const char *node,
					  const char *service, const char *tlsclient,
					  GError **error);
/* Shut down the sending side (the TCP FIN, also under TLS: control.md 8 #3). */
gboolean rc_ctl_client_shutdown_write(RcCtlClient *client, GError **error);
/* The socket's file descriptor for poll() (-1 when not connected). */
int rc_ctl_client_get_fd(RcCtlClient *client);
/* Close; the next call reconnects. */
void rc_ctl_client_close(RcCtlClient *client);
