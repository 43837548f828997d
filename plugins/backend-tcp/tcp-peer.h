/* tcp-peer.h: the tcp-peer entity (wire.md 9.2, 9.4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean tcp_peer_create(const RcHost *host, RcEntity *entity, GVariant *params,
			 gpointer *data, GError **error);
gboolean tcp_peer_start(gpointer data, GError **error);
void tcp_peer_stop(gpointer data);
void tcp_peer_free(gpointer data);

/* wire.md 9.2 / 13.1: redial delay 5 s, x1.5 after each wait, capped at 20 s. */
#define TCP_REDIAL_INITIAL_S 5.0
#define TCP_REDIAL_FACTOR    1.5
#define TCP_REDIAL_MAX_S     20.0
/* wire.md 9.4 / 13.1: connect + TLS handshake bounded by 15 s with TLS. */
#define TCP_TLS_DIAL_TIMEOUT_S 15

/* Next delay after waiting `delay_s` (pure, for unit tests). */
double tcp_peer_next_delay(double delay_s);
