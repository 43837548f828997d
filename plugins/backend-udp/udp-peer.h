/* udp-peer.h: the udp-peer entity (wire.md 9.2, 9.5; config.md 9.4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean udp_peer_create(const RcHost *host, RcEntity *entity, GVariant *params,
			 gpointer *data, GError **error);
gboolean udp_peer_start(gpointer data, GError **error);
void udp_peer_stop(gpointer data);
void udp_peer_free(gpointer data);

/* wire.md 9.2 / 13.1: redial delay 5 s, x1.5 after each wait, capped at 20 s. */
#define UDP_REDIAL_INITIAL_S 5.0
#define UDP_REDIAL_FACTOR    1.5
#define UDP_REDIAL_MAX_S     20.0

/* Next delay after waiting `delay_s` (pure, for unit tests). */
double udp_peer_next_delay(double delay_s);
